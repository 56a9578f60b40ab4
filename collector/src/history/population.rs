//! Who is in a generated history: accounts (a name, a plan, seats, the day they were created and
//! a health trend: growing, steady, declining, churning) and their users (a persona, a role, a
//! sign-up day, and, in a declining or churning account, maybe a day they stop coming). Drawn
//! from the seed alone: every account and user from a stream of its own, so the population is
//! the same whichever order it is simulated in. Days are counted from the history's first day.

use super::random::{Random, Stream};

/// How a user uses the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persona {
    /// Most working days, several sessions, many approvals, reports every week.
    Power,
    /// About every other working day.
    Regular,
    /// Now and then: weeks go by without a visit.
    Casual,
    /// Like a regular user until a day they drift away.
    Churning,
}

/// What each persona does, in probabilities per day or per session.
#[derive(Clone, Copy, Debug)]
pub struct Habits {
    /// The chance of using the app on a working day (a fifth of it on weekends).
    pub daily: f64,
    /// The chance of each session after the first in a day (at most two more).
    pub another_session: f64,
    /// Invoices approved by hand in a session, at least and at most.
    pub approvals: (u32, u32),
    /// The chance of a visit to the reports in a session.
    pub reports: f64,
    /// The chance of an export once in the reports.
    pub export: f64,
    /// The chance of acting on a prompt (its button that does something) rather than closing it.
    pub receptive: f64,
    /// The chance, per session, that an approver who does not automate yet looks at the
    /// automations page unprompted.
    pub wanders_to_automations: f64,
}

impl Persona {
    pub fn habits(self) -> Habits {
        match self {
            Persona::Power => Habits {
                daily: 0.85,
                another_session: 0.35,
                approvals: (2, 5),
                reports: 0.30,
                export: 0.55,
                receptive: 0.55,
                wanders_to_automations: 0.02,
            },
            Persona::Regular | Persona::Churning => Habits {
                daily: 0.5,
                another_session: 0.15,
                approvals: (1, 3),
                reports: 0.12,
                export: 0.35,
                receptive: 0.42,
                wanders_to_automations: 0.02,
            },
            Persona::Casual => Habits {
                daily: 0.12,
                another_session: 0.05,
                approvals: (1, 2),
                reports: 0.06,
                export: 0.25,
                receptive: 0.3,
                wanders_to_automations: 0.02,
            },
        }
    }
}

/// The user's `role` trait: automations are for admins and approvers only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Approver,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Approver => "approver",
            Role::Viewer => "viewer",
        }
    }

    pub fn approves(self) -> bool {
        self != Role::Viewer
    }
}

/// Where an account is heading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trend {
    /// Users keep joining and come more often.
    Growing,
    Steady,
    /// Over the last two months users come less and some stop.
    Declining,
    /// Most users stop coming a month or two before the end: an account at risk.
    Churning,
}

/// The trends accounts take in turn (shifted by the seed): four steady, three growing, two
/// declining and one churning in ten, so even a handful of accounts shows each kind.
const TREND_CYCLE: [Trend; 10] = [
    Trend::Steady,
    Trend::Growing,
    Trend::Declining,
    Trend::Steady,
    Trend::Churning,
    Trend::Growing,
    Trend::Steady,
    Trend::Declining,
    Trend::Steady,
    Trend::Growing,
];

const NAME_STEMS: [&str; 25] = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Oscorp",
    "Gringotts",
    "Nakatomi",
    "Monarch",
    "Aperture",
    "Massive",
    "Pied Piper",
    "Dunder",
    "Sterling",
    "Bluth",
    "Prestige",
    "Kramerica",
    "Cogswell",
];
const NAME_KINDS: [&str; 8] = ["Supplies", "Freight", "Labs", "Foods", "Studio", "Logistics", "Health", "Works"];

/// An account of the history.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub trend: Trend,
    pub created_day: u32,
    pub plan: &'static str,
    pub seats: u32,
    /// Its users' indices, the founder first.
    pub members: Vec<u32>,
    /// Seats bought per user: 1.1 to 1.5.
    seat_margin: f64,
    /// Days from its creation before anyone in it can get value (an approval): short for a
    /// healthy account, long for one that will decline or churn (the onboarding literature's
    /// 28 days against 127).
    onboarding_days: u32,
    /// How much more or less likely its users are to come than their persona says, on the
    /// first and on the last day; in between it changes linearly over `change_from..days`.
    activity_start: f64,
    activity_end: f64,
    change_from: u32,
    /// The share of its users who stop coming, between `leave_from` and `leave_until`.
    leavers: f64,
    leave_from: u32,
    leave_until: u32,
}

impl Account {
    /// How likely its users are to come on `day`, relative to their persona.
    pub fn activity(&self, day: u32, days: u32) -> f64 {
        if day < self.change_from || days <= self.change_from {
            return self.activity_start;
        }
        let progress = f64::from(day - self.change_from) / f64::from(days - self.change_from);
        self.activity_start + (self.activity_end - self.activity_start) * progress
    }
}

/// A user of the history.
#[derive(Clone, Debug)]
pub struct User {
    pub index: u32,
    pub id: String,
    pub persona: Persona,
    pub role: Role,
    pub signup_day: u32,
    /// The first day an approver approves an invoice (first value): before it they only look.
    pub first_value_day: u32,
    /// Signed up, looked around once, never came back.
    pub no_show: bool,
    /// The chance of opening an invoice before approving it (0 for users who approve from the
    /// list).
    pub opens_first: f64,
    /// How much more or less than their persona the user looks at reports (0: never).
    pub reporting: f64,
    /// A churning user's last day of regular use.
    pub drifts_after: Option<u32>,
    /// The day a user of a declining or churning account stops coming.
    pub leaves_on: Option<u32>,
    pub locale: &'static str,
}

/// The accounts and who is in each.
#[derive(Clone, Debug)]
pub struct Population {
    pub seed: u64,
    pub days: u32,
    pub accounts: Vec<Account>,
}

fn account_name(index: usize) -> (String, String) {
    let stem = NAME_STEMS[index % NAME_STEMS.len()];
    let kind = NAME_KINDS[(index / NAME_STEMS.len()) % NAME_KINDS.len()];
    let round = index / (NAME_STEMS.len() * NAME_KINDS.len());
    let name = if round == 0 { format!("{stem} {kind}") } else { format!("{stem} {kind} {}", round + 1) };
    let id = name.to_ascii_lowercase().replace(' ', "-");
    (id, name)
}

impl Population {
    /// `users` users in `accounts` accounts (at least one user each) over `days` days.
    pub fn new(seed: u64, users: u32, accounts: u32, days: u32) -> Population {
        let mut drawn: Vec<(Account, f64)> = (0..accounts).map(|index| draw_account(seed, index, days)).collect();
        // Every account has its founder; the other users join accounts in proportion to their
        // weights.
        let mut cumulative = Vec::with_capacity(drawn.len());
        let mut total = 0.0;
        for (_, weight) in &drawn {
            total += weight;
            cumulative.push(total);
        }
        for user in 0..users {
            let account = if user < accounts {
                user as usize
            } else {
                let draw = Random::stream(seed, Stream::Membership, u64::from(user)).unit() * total;
                cumulative.partition_point(|bound| *bound <= draw).min(drawn.len().saturating_sub(1))
            };
            if let Some((account, _)) = drawn.get_mut(account) {
                account.members.push(user);
            }
        }
        let accounts = drawn
            .into_iter()
            .map(|(mut account, _)| {
                let members = u32::try_from(account.members.len()).unwrap_or(u32::MAX);
                account.seats = ((f64::from(members) * account.seat_margin).ceil() as u32).max(3);
                account.plan = match account.seats {
                    0..=10 => "starter",
                    11..=50 => "growth",
                    _ => "enterprise",
                };
                account
            })
            .collect();
        Population { seed, days, accounts }
    }

    /// The user `index`, a member of `account` (`founder` when they created it).
    pub fn user(&self, account: &Account, index: u32, founder: bool) -> User {
        let mut random = Random::stream(self.seed, Stream::UserProfile, u64::from(index));
        let last_day = self.days.saturating_sub(1);
        let persona = if founder {
            random.weighted(&[(Persona::Power, 0.5), (Persona::Regular, 0.5)])
        } else {
            random.weighted(&[
                (Persona::Power, 0.15),
                (Persona::Regular, 0.40),
                (Persona::Casual, 0.30),
                (Persona::Churning, 0.15),
            ])
        }
        .unwrap_or(Persona::Regular);
        let role = if founder {
            Role::Admin
        } else {
            random.weighted(&[(Role::Admin, 0.1), (Role::Approver, 0.72), (Role::Viewer, 0.18)]).unwrap_or(Role::Viewer)
        };
        let joins_late = account.trend == Trend::Growing || random.chance(0.25);
        let signup_day = if founder {
            account.created_day
        } else if joins_late {
            random.between(account.created_day, last_day)
        } else {
            random.between(account.created_day, account.created_day + 21).min(last_day)
        };
        let first_value_delay = match (founder, persona) {
            (true, _) => random.between(0, 3),
            (false, Persona::Power) => random.between(0, 2),
            (false, Persona::Regular) => random.between(0, 6),
            (false, Persona::Casual) => random.between(1, 20),
            (false, Persona::Churning) => random.between(2, 25),
        };
        let first_value_day = (signup_day + first_value_delay).max(account.created_day + account.onboarding_days);
        let no_show = !founder && random.chance(0.06);
        let opens_first = if random.chance(0.35) { 0.0 } else { 0.15 + 0.35 * random.unit() };
        let reporting = if random.chance(0.35) { 0.0 } else { 0.5 + 1.5 * random.unit() };
        let drifts_after = (persona == Persona::Churning).then(|| signup_day + random.between(14, 100));
        let leaves = random.chance(account.leavers) && !(founder && account.trend == Trend::Declining);
        let leaves_on = leaves.then(|| random.between(account.leave_from, account.leave_until).max(signup_day + 7));
        let locale = if random.chance(0.2) { "ja" } else { "en" };
        User {
            index,
            id: format!("user-{}", index + 1),
            persona,
            role,
            signup_day,
            first_value_day,
            no_show,
            opens_first,
            reporting,
            drifts_after,
            leaves_on,
            locale,
        }
    }
}

/// An account's profile and its weight (how many users it draws, relative to the others).
fn draw_account(seed: u64, index: u32, days: u32) -> (Account, f64) {
    let mut random = Random::stream(seed, Stream::Account, u64::from(index));
    let trend = TREND_CYCLE[(index as usize + (seed % 10) as usize) % TREND_CYCLE.len()];
    let last_day = days.saturating_sub(1);
    // A decline shows over the last two months (half the history when it is shorter).
    let decline_from = days.saturating_sub(60.min(days / 2));
    let created_day = match trend {
        // An account that declines was going well before.
        Trend::Declining | Trend::Churning => random.between(0, days / 5),
        _ if random.chance(0.55) => random.between(0, 10.min(last_day)),
        _ => random.between(0, last_day * 7 / 10),
    };
    let (activity_start, activity_end, change_from) = match trend {
        Trend::Growing => (0.8, 1.25, created_day),
        Trend::Steady => (1.0, 1.0, 0),
        Trend::Declining => (1.0, 0.6, decline_from),
        Trend::Churning => (1.0, 0.35, decline_from),
    };
    let (leavers, leave_from, leave_until) = match trend {
        Trend::Declining => (0.45, decline_from, last_day),
        Trend::Churning => (0.8, decline_from, days.saturating_sub(31).max(decline_from)),
        Trend::Growing | Trend::Steady => (0.03, created_day, last_day),
    };
    let (id, name) = account_name(index as usize);
    // Sizes from a quarter to over three times the mean: a few large accounts, many small.
    let weight = 0.25 + 3.0 * random.unit().powi(3);
    let seat_margin = 1.1 + 0.4 * random.unit();
    let onboarding_days = match trend {
        Trend::Growing | Trend::Steady => random.between(0, 4),
        Trend::Declining => random.between(6, 25),
        Trend::Churning => random.between(12, 40),
    };
    let account = Account {
        id,
        name,
        trend,
        created_day,
        plan: "starter",
        seats: 0,
        members: Vec::new(),
        seat_margin,
        onboarding_days,
        activity_start,
        activity_end,
        change_from,
        leavers,
        leave_from,
        leave_until,
    };
    (account, weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_account_has_its_founder_and_every_user_one_account() {
        let population = Population::new(5, 1_000, 40, 120);
        let mut seen = vec![false; 1_000];
        for (index, account) in population.accounts.iter().enumerate() {
            assert_eq!(account.members.first(), Some(&(index as u32)), "{}", account.id);
            assert!(account.seats >= account.members.len() as u32, "{}", account.id);
            for member in &account.members {
                assert!(!std::mem::replace(&mut seen[*member as usize], true), "user {member} twice");
            }
        }
        assert!(seen.iter().all(|seen| *seen));
    }

    #[test]
    fn account_ids_are_unique_and_readable() {
        let population = Population::new(1, 1_000, 1_000, 120);
        let mut ids: Vec<&str> = population.accounts.iter().map(|account| account.id.as_str()).collect();
        assert_eq!(ids[0], "acme-supplies");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1_000);
    }

    #[test]
    fn users_sign_up_within_the_history_after_their_account() {
        let population = Population::new(9, 500, 10, 120);
        for account in &population.accounts {
            for (position, member) in account.members.iter().enumerate() {
                let user = population.user(account, *member, position == 0);
                assert!(user.signup_day >= account.created_day && user.signup_day < 120, "{user:?}");
            }
        }
    }

    #[test]
    fn a_declining_account_is_less_active_at_the_end() {
        let population = Population::new(0, 100, 10, 120);
        let declining = population.accounts.iter().find(|account| account.trend == Trend::Declining).unwrap();
        assert!(declining.activity(119, 120) < declining.activity(10, 120));
    }
}
