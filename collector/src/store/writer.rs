//! The one thread that writes to the database. Requests hand their batches over a channel and
//! wait for the commit; the thread takes every batch waiting at that moment and commits them in
//! one transaction (group commit), so the cost of a durable commit is shared by all of them and
//! no batch is acknowledged before it is on disk. It also owns the config events are tagged
//! under: a new one is recorded, and the records are rebuilt under it in steps taken while no
//! batch waits, so a rebuild never holds ingest back (a rebuild cut short by a stop resumes at
//! the next start). A store may hold records in memory (SQLite's `buffer`): they are written out
//! when a reader asks (`write_back`) and when the thread ends, and taken in again from the
//! events after a crash (`catch_up`).

use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::{EventStore, IncomingEvent, StoreError, StoreOutcome};
use crate::derived::Deriver;

/// At most this many events in one transaction: a commit stays short.
const EVENTS_PER_COMMIT: usize = 10_000;
/// Events taken in again per step of a rebuild.
const REBUILD_STEP: u32 = 5_000;

struct Job {
    write_key: String,
    events: Vec<IncomingEvent>,
    received_at_ms: i64,
    reply: oneshot::Sender<Stored>,
}

/// The answer to a batch, with its events handed back: freeing them (every property of every
/// event) took a fifth of this thread's time, which the request's task can spend instead.
struct Stored {
    outcome: Result<StoreOutcome, String>,
    events: Vec<IncomingEvent>,
}

/// A new config: recorded, then the records rebuilt under it.
struct ConfigJob {
    deriver: Arc<Deriver>,
    source: String,
    at_ms: i64,
    reply: oneshot::Sender<Result<(), String>>,
}

enum Work {
    Batch(Job),
    Config(ConfigJob),
    /// Write out the records held in memory, then answer.
    WriteBack(oneshot::Sender<Result<(), String>>),
}

/// Hands batches to the writing thread. Cloned into every request handler.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Work>,
}

/// The writing thread; joining it waits until every batch handed over is committed.
pub struct WriterThread(JoinHandle<()>);

impl WriterThread {
    pub fn join(self) {
        let _ = self.0.join();
    }
}

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the database refused the batch: {0}")]
    Database(String),
    #[error("the collector is stopping")]
    Stopped,
}

impl Writer {
    /// Starts the writing thread, which owns `store` until every `Writer` is dropped. Events are
    /// tagged and taken into the records under `deriver`, the config whose JSON is `source`,
    /// live from `at_ms` (recorded if new; the records are rebuilt if they were built under
    /// another).
    pub fn start(
        store: Box<dyn EventStore>,
        deriver: Arc<Deriver>,
        source: String,
        at_ms: i64,
    ) -> std::io::Result<(Writer, WriterThread)> {
        let (jobs, receiver) = mpsc::channel(1024);
        let thread = std::thread::Builder::new()
            .name("uptake-writer".into())
            .spawn(move || run(store, deriver, &source, at_ms, receiver))?;
        Ok((Writer { jobs }, WriterThread(thread)))
    }

    /// Stores a batch; returns once it is committed.
    pub async fn insert(
        &self,
        write_key: String,
        events: Vec<IncomingEvent>,
        received_at_ms: i64,
    ) -> Result<StoreOutcome, WriteError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { write_key, events, received_at_ms, reply };
        self.jobs.send(Work::Batch(job)).await.map_err(|_| WriteError::Stopped)?;
        let Stored { outcome, events } = answer.await.map_err(|_| WriteError::Stopped)?;
        drop(events);
        outcome.map_err(WriteError::Database)
    }

    /// Returns once the records reflect every batch acknowledged before the call: what the
    /// store held in memory is written out.
    pub async fn write_back(&self) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Work::WriteBack(reply)).await.map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?.map_err(WriteError::Database)
    }

    /// Makes `deriver` (the config whose JSON is `source`) the one events are tagged under from
    /// the next batch on; returns once the version is recorded and its rebuild begun.
    pub async fn change_config(&self, deriver: Arc<Deriver>, source: String, at_ms: i64) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        let job = ConfigJob { deriver, source, at_ms, reply };
        self.jobs.send(Work::Config(job)).await.map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?.map_err(WriteError::Database)
    }
}

/// The writing thread's state: the store, the config it tags under, whether a rebuild is due.
struct Writing {
    store: Box<dyn EventStore>,
    deriver: Arc<Deriver>,
    rebuilding: bool,
}

fn run(
    store: Box<dyn EventStore>,
    deriver: Arc<Deriver>,
    source: &str,
    at_ms: i64,
    mut receiver: mpsc::Receiver<Work>,
) {
    let mut writing = Writing { store, deriver, rebuilding: false };
    if let Err(error) = writing.adopt(source, at_ms) {
        eprintln!("uptake-collector: the metrics' records cannot be brought up to date: {error}");
    }
    let mut pending = None;
    loop {
        let work = match pending.take() {
            Some(work) => work,
            None if writing.rebuilding => match receiver.try_recv() {
                Ok(work) => work,
                Err(TryRecvError::Empty) => {
                    writing.rebuild_step();
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
            },
            None => match receiver.blocking_recv() {
                Some(work) => work,
                None => break,
            },
        };
        match work {
            Work::Config(job) => {
                writing.deriver = job.deriver;
                let _ = job.reply.send(writing.adopt(&job.source, job.at_ms).map_err(|error| error.to_string()));
            }
            Work::WriteBack(reply) => {
                let _ = reply.send(writing.store.write_back().map_err(|error| error.to_string()));
            }
            Work::Batch(first) => {
                let mut events = first.events.len();
                let mut jobs = vec![first];
                while events < EVENTS_PER_COMMIT {
                    match receiver.try_recv() {
                        Ok(Work::Batch(job)) => {
                            events += job.events.len();
                            jobs.push(job);
                        }
                        Ok(other) => {
                            pending = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit(writing.store.as_mut(), &writing.deriver, jobs);
            }
        }
    }
    if let Err(error) = writing.store.write_back() {
        eprintln!(
            "uptake-collector: the metrics' records could not be written out; the next start takes their events in again: {error}"
        );
    }
}

impl Writing {
    /// Records the current config and starts a rebuild when the records were built under
    /// another (or one was left unfinished).
    fn adopt(&mut self, source: &str, at_ms: i64) -> Result<(), StoreError> {
        let version = self.deriver.version();
        self.store.record_config(&version, source, at_ms)?;
        let state = self.store.derived_state()?;
        self.rebuilding = match state {
            Some(state) if state.version == version => {
                self.store.catch_up(&self.deriver)?;
                !state.is_complete()
            }
            _ => !self.store.begin_rebuild(&version)?.is_complete(),
        };
        Ok(())
    }

    fn rebuild_step(&mut self) {
        match self.store.rebuild_step(&self.deriver, REBUILD_STEP) {
            Ok(state) => self.rebuilding = !state.is_complete(),
            Err(error) => {
                eprintln!("uptake-collector: rebuilding the metrics' records failed, retrying: {error}");
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}

fn commit(store: &mut dyn EventStore, deriver: &Deriver, jobs: Vec<Job>) {
    let received_at_ms = jobs.iter().map(|job| job.received_at_ms).max().unwrap_or_default();
    let batches: Vec<(&str, &[IncomingEvent])> =
        jobs.iter().map(|job| (job.write_key.as_str(), job.events.as_slice())).collect();
    match store.insert_batches(&batches, received_at_ms, deriver) {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Stored { outcome: Ok(outcome), events: job.events });
            }
        }
        // One batch the database refuses must not fail the others committed with it.
        Err(_) if jobs.len() > 1 => {
            for job in jobs {
                commit(store, deriver, vec![job]);
            }
        }
        Err(error) => {
            let message = match error {
                StoreError::Database(message) => message,
                other => other.to_string(),
            };
            eprintln!("uptake-collector: could not store a batch: {message}");
            for job in jobs {
                let _ = job.reply.send(Stored { outcome: Err(message.clone()), events: job.events });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uptake_core::event::Event;

    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{EventReader, ExportFilter};

    fn incoming(message_id: &str) -> IncomingEvent {
        let value = json!({
            "messageId": message_id, "type": "track", "event": "invoice.approved",
            "anonymousId": "a-1", "timestamp": "2026-11-24T09:30:00.000Z"
        });
        IncomingEvent { body: value.to_string(), event: Event::from_json(value).unwrap() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_batches_are_each_committed_once_and_told_their_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let deriver = Arc::new(Deriver::new(Default::default()));
        let (writer, thread) =
            Writer::start(Box::new(SqliteStore::open(&path).unwrap()), deriver, "{}".into(), 0).unwrap();
        let mut tasks = Vec::new();
        for batch in 0..50 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                // Every batch repeats the one before it: half of it is already stored, or not yet.
                let events = (batch..batch + 2).map(|i| incoming(&format!("m-{i}"))).collect();
                writer.insert("dev".into(), events, 0).await.unwrap()
            }));
        }
        let mut stored = 0;
        for task in tasks {
            let outcome = task.await.unwrap();
            assert_eq!(outcome.stored + outcome.duplicates, 2);
            stored += outcome.stored;
        }
        assert_eq!(stored, 51, "m-0 to m-50, each once");
        drop(writer);
        thread.join();
        let mut reader = SqliteStore::open_reader(&path).unwrap();
        assert_eq!(reader.export_page(&ExportFilter::default(), 0, 100).unwrap().len(), 51);
    }
}
