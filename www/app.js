// Ledgerly, the demo SaaS app: a list of invoices approved by hand, and the Automations page
// that would do it for you. It talks to Uptake the way a customer's app would: `uptake.push`
// works before and after the SDK has loaded.

(function () {
  'use strict';

  function track(event, properties) {
    window.uptake.push(['track', event, properties]);
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
        row.classList.add('approved');
        approved += 1;
        document.getElementById('approved-count').textContent = String(approved);
        track('invoice.approved', { invoice_id: invoice.id, vendor: invoice.vendor, amount: invoice.amount, manual: true });
      });
      cells[0].firstChild.addEventListener('click', function () {
        track('invoice.opened', { invoice_id: invoice.id });
      });
      body.appendChild(row);
    });
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

  document.getElementById('reset-demo').addEventListener('click', function () {
    Object.keys(localStorage)
      .filter(function (key) { return key.indexOf('uptake:') === 0; })
      .forEach(function (key) { localStorage.removeItem(key); });
    window.location.reload();
  });

  var rows = document.getElementById('invoice-rows');
  if (rows) renderInvoices(rows);
  if (document.getElementById('automation-form')) setUpAutomations();
})();
