//! `uptake-collector import`: loads a history of Segment-shaped events, one JSON object per line
//! (NDJSON, as `GET /v1/export` and `generate-history` write it), into the database through the
//! same path as `POST /v1/batch`: each line checked as a batch's events are (`batch::check_event`),
//! then stored by the writer, which ignores a message id it already has for the write key and
//! keeps the metrics' records up to date in the same transaction. Lines are read and handed over
//! in chunks, two in flight at most, so memory stays bounded whatever the file's size; a line
//! longer than any event could be is refused without being held. A progress bar shows on a
//! terminal; the summary says how many events were read, stored, already there, and refused,
//! with the first refused lines and why.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::batch::{Limits, check_event};
use crate::config_file::{ConfigFile, ConfigFileError};
use crate::derived::Deriver;
use crate::routes::now_ms;
use crate::store::writer::{WriteError, Writer};
use crate::store::{Database, IncomingEvent, StoreError, StoreOutcome};

/// Events handed to the writer at a time.
const CHUNK_EVENTS: usize = 5_000;
/// Chunks handed over and not yet committed: one is committed while the next is read.
const CHUNKS_IN_FLIGHT: usize = 2;
/// Refused lines named in the summary.
const INVALID_SHOWN: usize = 5;

#[derive(clap::Args, Debug)]
pub struct ImportOptions {
    /// The app (write key) the events are stored for.
    #[arg(long = "write-key")]
    write_key: String,
    /// Where events are stored: a SQLite file (created if missing) or a PostgreSQL URL, as for
    /// `serve`.
    #[arg(long, default_value = "uptake.db", value_parser = Database::parse)]
    database: Database,
    /// The config the metrics' records are built under: the one `serve` serves.
    #[arg(long, default_value = "www/uptake.config.json")]
    config: PathBuf,
    /// The largest event in bytes, as `serve --max-event-bytes`; larger ones are refused.
    #[arg(long, default_value_t = Limits::default().event_bytes)]
    max_event_bytes: usize,
    /// The NDJSON file: one event per line.
    file: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot start the import: {0}")]
    Start(std::io::Error),
    #[error("stopped after {stored} events stored: {source}")]
    Write { stored: u64, source: WriteError },
}

/// A line refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    /// 1-based.
    pub line: u64,
    pub error: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Events read: the lines that are not blank.
    pub read: u64,
    pub stored: u64,
    /// Events already stored for the write key (by message id), left alone.
    pub duplicates: u64,
    pub invalid: u64,
    /// The first refused lines.
    pub first_invalid: Vec<RefusedLine>,
}

impl ImportSummary {
    fn add(&mut self, outcome: StoreOutcome) {
        self.stored += outcome.stored as u64;
        self.duplicates += outcome.duplicates as u64;
    }

    fn refuse(&mut self, line: u64, error: String) {
        self.invalid += 1;
        if self.first_invalid.len() < INVALID_SHOWN {
            self.first_invalid.push(RefusedLine { line, error });
        }
    }
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "read {} events: {} stored, {} duplicates, {} invalid",
            self.read, self.stored, self.duplicates, self.invalid
        )?;
        if self.invalid == 0 {
            return Ok(());
        }
        let named: Vec<String> =
            self.first_invalid.iter().map(|refused| format!("line {}: {}", refused.line, refused.error)).collect();
        write!(formatter, " ({}", named.join("; "))?;
        let unnamed = self.invalid - self.first_invalid.len() as u64;
        if unnamed > 0 {
            write!(formatter, "; and {unnamed} more")?;
        }
        write!(formatter, ")")
    }
}

/// A line as read: whole, or longer than any event could be (skipped to its end, not held).
enum Line {
    Whole,
    TooLong(usize),
}

/// Reads the next line into `line` (without its end), holding at most `max_bytes` of it.
/// `None` at the end of the input.
fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max_bytes: usize) -> std::io::Result<Option<Line>> {
    line.clear();
    let mut length = 0usize;
    let mut read_any = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (part, ends) = match available.iter().position(|byte| *byte == b'\n') {
            Some(end) => (available.split_at(end).0, true),
            None => (available, false),
        };
        length += part.len();
        if length <= max_bytes {
            line.extend_from_slice(part);
        }
        let used = part.len() + usize::from(ends);
        reader.consume(used);
        if ends {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    if length > max_bytes {
        line.clear();
        return Ok(Some(Line::TooLong(length)));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(Line::Whole))
}

/// The progress bar: on a terminal only, by bytes of the file read.
fn progress_bar(file_bytes: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(file_bytes), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{wide_bar} {bytes}/{total_bytes} {msg}, {eta} left")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// Imports the file the options name.
pub fn import(options: ImportOptions) -> Result<ImportSummary, ImportError> {
    let config = ConfigFile::load(&options.config)?;
    let file = File::open(&options.file).map_err(|source| ImportError::Read { path: options.file.clone(), source })?;
    let file_bytes = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let deriver = Arc::new(Deriver::new(config.config));
    let store = options.database.open_store()?;
    let (writer, writer_thread) = Writer::start(store, deriver, config.source, now_ms()).map_err(ImportError::Start)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(ImportError::Start)?;
    let limits = Limits { event_bytes: options.max_event_bytes, ..Limits::default() };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let bar = progress_bar(file_bytes);
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    let mut in_flight = VecDeque::new();
    let mut chunk = Vec::with_capacity(CHUNK_EVENTS);
    let mut line = Vec::new();
    let mut line_number = 0u64;
    let mut bytes_read = 0u64;
    // A line may hold an event written with spaces: room for four times the limit.
    let max_line_bytes = limits.event_bytes.saturating_mul(4).max(64 * 1024);
    let result = loop {
        let read = next_line(&mut reader, &mut line, max_line_bytes)
            .map_err(|source| ImportError::Read { path: options.file.clone(), source });
        let read = match read {
            Ok(read) => read,
            Err(error) => break Err(error),
        };
        let Some(read) = read else { break Ok(()) };
        line_number += 1;
        match read {
            Line::TooLong(length) => {
                bytes_read += length as u64 + 1;
                summary.read += 1;
                summary.refuse(
                    line_number,
                    format!("the line is {length} bytes; an event is at most {}", limits.event_bytes),
                );
            }
            Line::Whole => {
                bytes_read += line.len() as u64 + 1;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                summary.read += 1;
                match std::str::from_utf8(&line) {
                    Err(error) => summary.refuse(line_number, format!("not UTF-8 text: {error}")),
                    Ok(text) => match check_event(0, text, &limits) {
                        Ok(event) => chunk.push(event),
                        Err(refused) => summary.refuse(line_number, refused.error),
                    },
                }
            }
        }
        if chunk.len() >= CHUNK_EVENTS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_EVENTS));
            if let Err(error) = hand_over(&runtime, &writer, &options.write_key, full, &mut in_flight, &mut summary) {
                break Err(error);
            }
            bar.set_position(bytes_read);
            bar.set_message(rate_message(&summary, started));
        }
    };
    let finished = result.and_then(|()| {
        hand_over(&runtime, &writer, &options.write_key, chunk, &mut in_flight, &mut summary)?;
        while let Some(pending) = in_flight.pop_front() {
            settle(&runtime, pending, &mut summary)?;
        }
        Ok(())
    });
    bar.finish_and_clear();
    drop(writer);
    writer_thread.join();
    finished.map(|()| summary)
}

type Pending = tokio::task::JoinHandle<Result<StoreOutcome, WriteError>>;

/// Hands `events` to the writer, after waiting for the oldest chunk when enough are in flight.
fn hand_over(
    runtime: &tokio::runtime::Runtime,
    writer: &Writer,
    write_key: &str,
    events: Vec<IncomingEvent>,
    in_flight: &mut VecDeque<Pending>,
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    if events.is_empty() {
        return Ok(());
    }
    while in_flight.len() >= CHUNKS_IN_FLIGHT {
        let Some(oldest) = in_flight.pop_front() else { break };
        settle(runtime, oldest, summary)?;
    }
    let writer = writer.clone();
    let write_key = write_key.to_owned();
    in_flight.push_back(runtime.spawn(async move { writer.insert(write_key, events, now_ms()).await }));
    Ok(())
}

/// Waits for a chunk's commit and counts what it stored.
fn settle(runtime: &tokio::runtime::Runtime, pending: Pending, summary: &mut ImportSummary) -> Result<(), ImportError> {
    let outcome = runtime.block_on(pending).unwrap_or(Err(WriteError::Stopped));
    match outcome {
        Ok(outcome) => {
            summary.add(outcome);
            Ok(())
        }
        Err(source) => Err(ImportError::Write { stored: summary.stored, source }),
    }
}

fn rate_message(summary: &ImportSummary, started: Instant) -> String {
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    format!("{} events, {:.0}/s", summary.read, summary.read as f64 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8], max: usize) -> Vec<Result<String, usize>> {
        let mut reader = BufReader::with_capacity(4, text);
        let mut line = Vec::new();
        let mut found = Vec::new();
        while let Some(read) = next_line(&mut reader, &mut line, max).unwrap() {
            found.push(match read {
                Line::Whole => Ok(String::from_utf8(line.clone()).unwrap()),
                Line::TooLong(length) => Err(length),
            });
        }
        found
    }

    #[test]
    fn lines_are_read_whole_across_buffers_and_overlong_ones_are_not_held() {
        assert_eq!(
            lines(b"{\"a\":1}\n\n{\"b\":22}\r\nlast", 100),
            [Ok("{\"a\":1}".to_owned()), Ok(String::new()), Ok("{\"b\":22}".to_owned()), Ok("last".to_owned())]
        );
        assert_eq!(lines(b"short\nmuch too long\nok\n", 8), [Ok("short".to_owned()), Err(13), Ok("ok".to_owned())]);
        assert!(lines(b"", 8).is_empty());
    }

    #[test]
    fn the_summary_names_the_first_refused_lines() {
        let mut summary = ImportSummary { read: 9, stored: 2, duplicates: 0, ..ImportSummary::default() };
        for line in 3..10 {
            summary.refuse(line, format!("bad {line}"));
        }
        assert_eq!(
            summary.to_string(),
            "read 9 events: 2 stored, 0 duplicates, 7 invalid \
             (line 3: bad 3; line 4: bad 4; line 5: bad 5; line 6: bad 6; line 7: bad 7; and 2 more)"
        );
        assert_eq!(ImportSummary::default().to_string(), "read 0 events: 0 stored, 0 duplicates, 0 invalid");
    }
}
