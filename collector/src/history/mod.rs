//! `uptake-collector generate-history`: a deterministic history of the demo app (`www/`), as
//! Segment-shaped NDJSON, one event per line, in the form `GET /v1/export` writes and `import`
//! reads. Every event is made by the real device engine (`device`), one per user, driven day by
//! day by simulated users (`population`: personas, roles, accounts with a health trend) on the
//! demo app's pages (`app`), so identify and group calls, feature uses, entry points seen,
//! experiences shown or held out, clicks, dismissals and goals are exactly what devices send.
//!
//! Same arguments, same bytes: all randomness comes from the seed (`random`), one stream per
//! account and per user, so users are simulated in parallel and written in order, account by
//! account, each user's events in the order the device sent them. Memory stays bounded: a few
//! dozen users are simulated at a time and their events written before the next ones start.

mod app;
mod device;
mod population;
mod random;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use uptake_core::config::Config;
use uptake_core::iso8601::{format_timestamp, parse_timestamp};
use uptake_core::time::Timestamp;

use crate::config_file::{ConfigFile, ConfigFileError};
use device::{Device, DeviceError};
use population::{Account, Population};

/// The most days a history may span: the device keeps 400 days of activity per feature.
pub const MAX_DAYS: u32 = 400;

/// Users simulated in one piece of work: small enough that their events fit in memory.
const USERS_PER_PIECE: usize = 32;
/// Pieces of work in flight per thread before their events are written.
const PIECES_PER_THREAD: usize = 4;
const MS_PER_DAY: i64 = 86_400_000;

#[derive(clap::Args, Debug)]
pub struct HistoryOptions {
    /// The config the simulated devices run.
    #[arg(long, default_value = "www/uptake.config.json")]
    pub config: PathBuf,
    /// The seed every random choice derives from: the same seed and arguments, the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many users (at least one per account).
    #[arg(long, default_value_t = 400)]
    pub users: u32,
    /// How many accounts.
    #[arg(long, default_value_t = 8)]
    pub accounts: u32,
    /// How many days the history spans, up to its last day.
    #[arg(long, default_value_t = 120)]
    pub days: u32,
    /// The history's last day, as YYYY-MM-DD (UTC).
    #[arg(long, value_parser = parse_day)]
    pub end: i64,
    /// Where to write the NDJSON; standard output when not given.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// A day given as `YYYY-MM-DD`, as days since 1970-01-01.
fn parse_day(text: &str) -> Result<i64, String> {
    let expected = || format!("{text:?}: expected a day such as 2026-12-01");
    if text.len() != 10 {
        return Err(expected());
    }
    let midnight = parse_timestamp(text).map_err(|_| expected())?;
    Ok(midnight.as_millis().div_euclid(MS_PER_DAY))
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
fn format_day(day: i64) -> String {
    let mut text = format_timestamp(Timestamp::from_millis(day * MS_PER_DAY));
    text.truncate(10);
    text
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    #[error("--users must be at least --accounts (every account has a user): {users} users for {accounts} accounts")]
    FewerUsersThanAccounts { users: u32, accounts: u32 },
    #[error("--accounts must be at least 1")]
    NoAccounts,
    #[error("--days must be from 1 to {MAX_DAYS}, not {0}")]
    Days(u32),
    #[error("cannot write the history to {place}: {source}")]
    Write { place: String, source: std::io::Error },
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// What a history holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySummary {
    pub events: u64,
    pub users: u32,
    pub accounts: u32,
    pub first_day: String,
    pub last_day: String,
}

impl std::fmt::Display for HistorySummary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} events of {} users in {} accounts, {} to {}",
            self.events, self.users, self.accounts, self.first_day, self.last_day
        )
    }
}

/// Loads the config, writes the history where the options say, and says what it holds.
pub fn generate(options: &HistoryOptions) -> Result<HistorySummary, HistoryError> {
    let config = ConfigFile::load(&options.config)?.config;
    let shape = Shape {
        seed: options.seed,
        users: options.users,
        accounts: options.accounts,
        days: options.days,
        last_day: options.end,
    };
    match &options.out {
        Some(path) => {
            let place = path.display().to_string();
            let file = File::create(path).map_err(|source| HistoryError::Write { place: place.clone(), source })?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            let summary = write_history(&shape, &config, &mut out, &place)?;
            out.flush().map_err(|source| HistoryError::Write { place, source })?;
            Ok(summary)
        }
        None => {
            let place = "standard output".to_owned();
            let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let summary = write_history(&shape, &config, &mut out, &place)?;
            out.flush().map_err(|source| HistoryError::Write { place, source })?;
            Ok(summary)
        }
    }
}

/// What a history covers.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub seed: u64,
    pub users: u32,
    pub accounts: u32,
    pub days: u32,
    /// Days since 1970-01-01.
    pub last_day: i64,
}

/// Some members of one account, simulated together.
struct Piece {
    account: usize,
    members: std::ops::Range<usize>,
}

/// The events of a piece: the lines, and how many.
struct PieceHistory {
    lines: Vec<u8>,
    events: u64,
}

/// Writes the history of `shape` under `config` to `out` (named `place` in errors).
pub fn write_history(
    shape: &Shape,
    config: &Config,
    out: &mut dyn Write,
    place: &str,
) -> Result<HistorySummary, HistoryError> {
    if shape.accounts == 0 {
        return Err(HistoryError::NoAccounts);
    }
    if shape.users < shape.accounts {
        return Err(HistoryError::FewerUsersThanAccounts { users: shape.users, accounts: shape.accounts });
    }
    if shape.days == 0 || shape.days > MAX_DAYS {
        return Err(HistoryError::Days(shape.days));
    }
    let first_day = shape.last_day - i64::from(shape.days) + 1;
    let population = Population::new(shape.seed, shape.users, shape.accounts, shape.days);
    let pieces: Vec<Piece> = population
        .accounts
        .iter()
        .enumerate()
        .flat_map(|(account, members)| {
            (0..members.members.len()).step_by(USERS_PER_PIECE).map(move |start| Piece {
                account,
                members: start..(start + USERS_PER_PIECE).min(members.members.len()),
            })
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut events = 0;
    for wave in pieces.chunks(threads * PIECES_PER_THREAD) {
        for simulated in simulate_wave(&population, config, first_day, wave, threads) {
            let history = simulated?;
            out.write_all(&history.lines).map_err(|source| HistoryError::Write { place: place.to_owned(), source })?;
            events += history.events;
        }
    }
    Ok(HistorySummary {
        events,
        users: shape.users,
        accounts: shape.accounts,
        first_day: format_day(first_day),
        last_day: format_day(shape.last_day),
    })
}

/// The events of each piece of `wave`, in order, simulated on up to `threads` threads.
fn simulate_wave(
    population: &Population,
    config: &Config,
    first_day: i64,
    wave: &[Piece],
    threads: usize,
) -> Vec<Result<PieceHistory, DeviceError>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<PieceHistory, DeviceError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(wave.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(piece) = wave.get(index) else { break };
                        done.push((index, simulate_piece(population, config, first_day, piece)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The events of some members of an account, user after user.
fn simulate_piece(
    population: &Population,
    config: &Config,
    first_day: i64,
    piece: &Piece,
) -> Result<PieceHistory, DeviceError> {
    let mut history = PieceHistory { lines: Vec::new(), events: 0 };
    let Some(account) = population.accounts.get(piece.account) else { return Ok(history) };
    let members = account.members.get(piece.members.clone()).unwrap_or_default();
    for (offset, member) in members.iter().enumerate() {
        let founder = piece.members.start + offset == 0;
        history.events += simulate_user(population, config, first_day, account, *member, founder, &mut history.lines)?;
    }
    Ok(history)
}

fn simulate_user(
    population: &Population,
    config: &Config,
    first_day: i64,
    account: &Account,
    member: u32,
    founder: bool,
    lines: &mut Vec<u8>,
) -> Result<u64, DeviceError> {
    let user = population.user(account, member, founder);
    let mut device = Device::new(population.seed, (first_day, population.days), &user, account, config);
    let mut events = 0;
    for day in user.signup_day..population.days {
        device.live_day(day)?;
        events += device.drain(lines)?;
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_and_written_as_dates() {
        assert_eq!(parse_day("1970-01-02"), Ok(1));
        assert_eq!(format_day(parse_day("2026-12-01").unwrap()), "2026-12-01");
        assert!(parse_day("2026-13-01").unwrap_err().contains("expected a day such as"));
        assert!(parse_day("2026-12-01T10:00:00Z").is_err(), "a day, not an instant");
    }

    #[test]
    fn a_history_that_cannot_be_made_is_refused_saying_why() {
        let config = Config::default();
        let shape = Shape { seed: 1, users: 2, accounts: 3, days: 10, last_day: 20_000 };
        let mut out = Vec::new();
        let error = write_history(&shape, &config, &mut out, "memory").unwrap_err();
        assert!(matches!(error, HistoryError::FewerUsersThanAccounts { users: 2, accounts: 3 }), "{error}");
        let error = write_history(&Shape { days: 401, users: 3, ..shape }, &config, &mut out, "memory").unwrap_err();
        assert_eq!(error.to_string(), "--days must be from 1 to 400, not 401");
        let error = write_history(&Shape { accounts: 0, ..shape }, &config, &mut out, "memory").unwrap_err();
        assert!(matches!(error, HistoryError::NoAccounts));
    }
}
