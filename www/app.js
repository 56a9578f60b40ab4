// Ledgerly, the demo SaaS app: invoices approved by hand, reports (a single-page route,
// `/#/reports`, reached with history.pushState), and the Automations page that would approve
// invoices for you. It talks to Uptake the way a customer's app would: `uptake.push` works
// before and after the SDK has loaded, and route changes need no call at all.

(function () {
  'use strict';

  function push(call) {
    window.uptake.push(call);
  }

  function track(event, properties) {
    push(['track', event, properties]);
  }

  var invoices = [
    { id: 'INV-1041', vendor: 'Acme Supplies', due: '2026-12-01', amount: 240.0 },
    { id: 'INV-1042', vendor: 'Northwind Freight', due: '2026-12-02', amount: 1180.5 },
    { id: 'INV-1043', vendor: 'Acme Supplies', due: '2026-12-03', amount: 96.2 },
    { id: 'INV-1044', vendor: 'Globex Office', due: '2026-12-04', amount: 410.0 },
    { id: 'INV-1045', vendor: 'Acme Supplies', due: '2026-12-05', amount: 58.9 },
    { id: 'INV-1046', vendor: 'Initech Cloud', due: '2026-12-06', amount: 1999.0 },
    { id: 'INV-1047', vendor: 'Northwind Freight', due: '2026-12-07', amount: 325.4 },
    { id: 'INV-1048', vendor: 'Globex Office', due: '2026-12-08', amount: 77.0 },
  ];
  var money = new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' });

  function renderInvoices(body) {
    var approved = 0;
    invoices.forEach(function (invoice) {
      var row = document.createElement('tr');
      row.innerHTML =
        '<td><button type="button" class="link open"></button></td><td></td><td></td>' +
        '<td class="amount"></td><td><button type="button" class="approve">Approve</button></td>';
      var cells = row.querySelectorAll('td');
      cells[0].firstChild.textContent = invoice.id;
      cells[1].textContent = invoice.vendor;
      cells[2].textContent = invoice.due;
      cells[3].textContent = money.format(invoice.amount);
      var approve = row.querySelector('.approve');
      approve.setAttribute('aria-label', 'Approve ' + invoice.id);
      approve.addEventListener('click', function () {
        approve.disabled = true;
        approve.textContent = 'Approved';
        approve.setAttribute('aria-label', 'Approved ' + invoice.id);
        row.classList.add('approved');
        approved += 1;
        document.getElementById('approved-count').textContent = String(approved);
        // The button is disabled now: the focus moves on to the next invoice to approve.
        var next = document.querySelector('button.approve:not([disabled])');
        if (next && document.activeElement === approve) next.focus();
        track('invoice.approved', { invoice_id: invoice.id, vendor: invoice.vendor, amount: invoice.amount, manual: true });
      });
      cells[0].firstChild.addEventListener('click', function () {
        track('invoice.opened', { invoice_id: invoice.id });
      });
      body.appendChild(row);
    });
  }

  // The single-page part: Invoices at `/`, Reports at `/#/reports`. Links change the route with
  // pushState, the period with replaceState; back, forward and typed hashes work too.
  var reportFigures = {
    this: { count: '31', total: '€18,240.50', manual: '100%' },
    last: { count: '27', total: '€15,902.10', manual: '100%' },
  };

  function currentPeriod() {
    return new URLSearchParams(window.location.search).get('period') === 'last' ? 'last' : 'this';
  }

  function renderRoute() {
    var reports = window.location.hash.indexOf('#/reports') === 0;
    document.getElementById('invoices-view').hidden = reports;
    document.getElementById('reports-view').hidden = !reports;
    document.querySelectorAll('nav a[data-route]').forEach(function (link) {
      var current = link.getAttribute('data-route') === (reports ? 'reports' : 'invoices');
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    });
    document.title = (reports ? 'Reports' : 'Invoices') + ' · Ledgerly';
    var period = currentPeriod();
    var figures = reportFigures[period];
    document.getElementById('report-count').textContent = figures.count;
    document.getElementById('report-total').textContent = figures.total;
    document.getElementById('report-manual').textContent = figures.manual;
    document.querySelectorAll('.period').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-period') === period));
    });
  }

  function setUpRoutes() {
    document.querySelectorAll('nav a[data-route]').forEach(function (link) {
      link.addEventListener('click', function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        history.pushState({}, '', link.getAttribute('href'));
        renderRoute();
      });
    });
    window.addEventListener('popstate', renderRoute);
    window.addEventListener('hashchange', renderRoute);
    document.querySelectorAll('.period').forEach(function (button) {
      button.addEventListener('click', function () {
        var period = button.getAttribute('data-period');
        var search = period === 'last' ? '?period=last' : '';
        history.replaceState({}, '', '/' + search + '#/reports');
        renderRoute();
        track('report.period_changed', { period: period });
      });
    });
    document.getElementById('export-csv').addEventListener('click', function () {
      document.getElementById('report-status').textContent = 'Exported approvals-' + currentPeriod() + '-month.csv';
      track('report.exported', { period: currentPeriod(), format: 'csv' });
    });
    document.getElementById('schedule-report').addEventListener('click', function () {
      document.getElementById('report-status').textContent = 'This report will be sent every Monday.';
      track('report.scheduled', { period: currentPeriod(), every: 'week' });
    });
    renderRoute();
  }

  function setUpAutomations() {
    var form = document.getElementById('automation-form');
    var list = document.getElementById('automation-list');
    document.getElementById('new-automation').addEventListener('click', function () {
      form.hidden = false;
      form.querySelector('select').focus();
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var vendor = form.elements.vendor.value;
      var limit = Number(form.elements.limit.value);
      var item = document.createElement('li');
      item.textContent = 'Approve invoices from ' + vendor + ' up to ' + money.format(limit);
      list.appendChild(item);
      form.hidden = true;
      track('automation.created', { vendor: vendor, limit: limit });
    });
  }

  // The language of what Uptake shows follows the user's `locale` trait.
  var LOCALE_KEY = 'ledgerly:locale';
  var language = document.getElementById('language');
  var savedLocale = localStorage.getItem(LOCALE_KEY);
  if (savedLocale) {
    language.value = savedLocale;
    push(['identify', 'u-42', { locale: savedLocale }]);
  }
  language.addEventListener('change', function () {
    localStorage.setItem(LOCALE_KEY, language.value);
    push(['identify', 'u-42', { locale: language.value }]);
  });

  // The tour starts on the Invoices page; from another page, the SDK takes the user there.
  document.getElementById('help').addEventListener('click', function () {
    push(['startTour', 'invoices-tour']);
  });

  document.getElementById('reset-demo').addEventListener('click', function () {
    Object.keys(localStorage)
      .filter(function (key) { return key.indexOf('uptake:') === 0 || key === LOCALE_KEY; })
      .forEach(function (key) { localStorage.removeItem(key); });
    window.location.href = '/';
  });

  var rows = document.getElementById('invoice-rows');
  if (rows) renderInvoices(rows);
  if (document.getElementById('reports-view')) setUpRoutes();
  if (document.getElementById('automation-form')) setUpAutomations();
})();
