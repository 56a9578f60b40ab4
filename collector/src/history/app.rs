//! The demo app (`www/`, Ledgerly) as the generator's users see it: its pages, which of the
//! elements a config's selectors may name are rendered on each, the page properties and
//! context its SDK sends, and the properties of the events its code tracks (`www/app.js`).
//! Nothing here decides anything: it is the app's side of what a device sends.

use serde_json::{Map, Value};

use super::random::Random;

/// Where the demo app is served in a generated history.
const ORIGIN: &str = "https://app.ledgerly.example";

/// The SDK's name and version in every event's context.
const LIBRARY_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Elements on every page: the navigation and the header.
const HEADER: [&str; 6] = ["#nav-invoices", "#nav-reports", "#nav-automations", "#language", "#help", "#reset-demo"];

/// A page (or single-page route) of the demo app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// As the SDK reports it: the path, with the hash of a hash route.
    pub path: &'static str,
    pub title: &'static str,
    /// Selectors that match an element shown on it, besides the header's.
    elements: &'static [&'static str],
}

pub const INVOICES: Page = Page {
    path: "/",
    title: "Invoices · Ledgerly",
    elements: &[
        "#invoices-view",
        "#invoice-table",
        "#invoice-rows",
        "#invoice-rows tr:first-child",
        "button.approve",
        "button.approve:not([disabled])",
    ],
};

pub const REPORTS: Page = Page {
    path: "/#/reports",
    title: "Reports · Ledgerly",
    elements: &["#reports-view", "#export-csv", "#schedule-report", ".period"],
};

pub const AUTOMATIONS: Page = Page {
    path: "/automations.html",
    title: "Automations · Ledgerly",
    elements: &["#new-automation", "#automation-list"],
};

/// Shown on the automations page once "New automation" is clicked.
pub const AUTOMATION_FORM: &str = "#automation-form";

impl Page {
    /// The page a link or a prompt's button goes to (a path or a URL of the app).
    pub fn at(target: &str) -> Page {
        let path = target.strip_prefix(ORIGIN).unwrap_or(target);
        if path.starts_with("/automations") {
            AUTOMATIONS
        } else if path.contains("#/reports") {
            REPORTS
        } else {
            INVOICES
        }
    }

    /// Whether `selector` matches an element shown on this page (`extra`: shown as well).
    pub fn shows(&self, selector: &str, extra: &[&str]) -> bool {
        HEADER.contains(&selector) || self.elements.contains(&selector) || extra.contains(&selector)
    }

    /// The properties of its `page` event.
    pub fn properties(&self) -> Map<String, Value> {
        let mut properties = Map::new();
        properties.insert("path".to_owned(), Value::from(self.path));
        properties.insert("title".to_owned(), Value::from(self.title));
        properties.insert("url".to_owned(), Value::from(format!("{ORIGIN}{}", self.path)));
        properties
    }

    /// The context of every event sent from it.
    pub fn context(&self, browser: &Browser) -> Map<String, Value> {
        let mut library = Map::new();
        library.insert("name".to_owned(), Value::from("uptake"));
        library.insert("version".to_owned(), Value::from(LIBRARY_VERSION));
        let mut context = Map::new();
        context.insert("library".to_owned(), Value::Object(library));
        context.insert("page".to_owned(), Value::Object(self.properties()));
        context.insert("userAgent".to_owned(), Value::from(browser.user_agent));
        context.insert("locale".to_owned(), Value::from(browser.language));
        context
    }
}

/// A user's browser, as its events' context names it.
#[derive(Clone, Copy, Debug)]
pub struct Browser {
    pub user_agent: &'static str,
    pub language: &'static str,
}

const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
];

impl Browser {
    pub fn draw(random: &mut Random, locale: &str) -> Browser {
        let index = random.between(0, USER_AGENTS.len() as u32 - 1) as usize;
        let user_agent = USER_AGENTS.get(index).copied().unwrap_or(USER_AGENTS[0]);
        let language = if locale == "ja" { "ja-JP" } else { "en-US" };
        Browser { user_agent, language }
    }
}

const VENDORS: [&str; 4] = ["Acme Supplies", "Northwind Freight", "Globex Office", "Initech Cloud"];
const AUTOMATION_LIMITS: [u32; 4] = [250, 500, 1000, 2500];

fn vendor(random: &mut Random) -> &'static str {
    VENDORS.get(random.between(0, VENDORS.len() as u32 - 1) as usize).copied().unwrap_or(VENDORS[0])
}

fn object(entries: Vec<(&str, Value)>) -> Map<String, Value> {
    entries.into_iter().map(|(key, value)| (key.to_owned(), value)).collect()
}

/// An invoice of the list: its id, vendor and amount.
pub struct Invoice {
    id: String,
    vendor: &'static str,
    amount: f64,
}

impl Invoice {
    pub fn draw(random: &mut Random) -> Invoice {
        let cents = random.between(2_000, 250_000);
        Invoice {
            id: format!("INV-{}", random.between(1_000, 9_999)),
            vendor: vendor(random),
            amount: f64::from(cents) / 100.0,
        }
    }

    /// `invoice.opened`'s properties.
    pub fn opened(&self) -> Map<String, Value> {
        object(vec![("invoice_id", Value::from(self.id.as_str()))])
    }

    /// `invoice.approved`'s properties: approved by hand on the invoices page.
    pub fn approved(&self) -> Map<String, Value> {
        object(vec![
            ("invoice_id", Value::from(self.id.as_str())),
            ("vendor", Value::from(self.vendor)),
            ("amount", Value::from(self.amount)),
            ("manual", Value::Bool(true)),
        ])
    }
}

/// The period a report shows: `this` or `last` (month).
pub fn period(random: &mut Random) -> &'static str {
    if random.chance(0.7) { "this" } else { "last" }
}

pub fn period_changed(period: &str) -> Map<String, Value> {
    object(vec![("period", Value::from(period))])
}

pub fn report_exported(period: &str) -> Map<String, Value> {
    object(vec![("period", Value::from(period)), ("format", Value::from("csv"))])
}

pub fn report_scheduled(period: &str) -> Map<String, Value> {
    object(vec![("period", Value::from(period)), ("every", Value::from("week"))])
}

/// `automation.created`'s properties.
pub fn automation_created(random: &mut Random) -> Map<String, Value> {
    let limit = AUTOMATION_LIMITS.get(random.between(0, 3) as usize).copied().unwrap_or(500);
    object(vec![("vendor", Value::from(vendor(random))), ("limit", Value::from(limit))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_buttons_lead_to_the_pages_they_name() {
        assert_eq!(Page::at("/automations.html"), AUTOMATIONS);
        assert_eq!(Page::at("https://app.ledgerly.example/#/reports"), REPORTS);
        assert_eq!(Page::at("/"), INVOICES);
    }

    #[test]
    fn each_page_shows_its_own_elements_and_the_header() {
        assert!(REPORTS.shows("#export-csv", &[]) && !INVOICES.shows("#export-csv", &[]));
        assert!(AUTOMATIONS.shows("#nav-automations", &[]));
        assert!(!AUTOMATIONS.shows(AUTOMATION_FORM, &[]) && AUTOMATIONS.shows(AUTOMATION_FORM, &[AUTOMATION_FORM]));
    }
}
