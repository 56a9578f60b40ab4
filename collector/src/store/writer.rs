//! The one thread that writes to the database. Requests hand their batches over a channel and
//! wait for the commit; the thread takes every batch waiting at that moment and commits them in
//! one transaction (group commit), so the cost of a durable commit is shared by all of them and
//! no batch is acknowledged before it is on disk.

use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::{EventStore, IncomingEvent, StoreError, StoreOutcome};

/// At most this many events in one transaction: a commit stays short.
const EVENTS_PER_COMMIT: usize = 10_000;

struct Job {
    write_key: String,
    events: Vec<IncomingEvent>,
    received_at_ms: i64,
    reply: oneshot::Sender<Result<StoreOutcome, String>>,
}

/// Hands batches to the writing thread. Cloned into every request handler.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
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
    /// Starts the writing thread, which owns `store` until every `Writer` is dropped.
    pub fn start(store: Box<dyn EventStore>) -> std::io::Result<(Writer, WriterThread)> {
        let (jobs, receiver) = mpsc::channel(1024);
        let thread = std::thread::Builder::new().name("uptake-writer".into()).spawn(move || run(store, receiver))?;
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
        self.jobs.send(job).await.map_err(|_| WriteError::Stopped)?;
        answer.await.map_err(|_| WriteError::Stopped)?.map_err(WriteError::Database)
    }
}

fn run(mut store: Box<dyn EventStore>, mut receiver: mpsc::Receiver<Job>) {
    while let Some(first) = receiver.blocking_recv() {
        let mut events = first.events.len();
        let mut jobs = vec![first];
        while events < EVENTS_PER_COMMIT {
            let Ok(job) = receiver.try_recv() else { break };
            events += job.events.len();
            jobs.push(job);
        }
        commit(store.as_mut(), jobs);
    }
}

fn commit(store: &mut dyn EventStore, jobs: Vec<Job>) {
    let received_at_ms = jobs.iter().map(|job| job.received_at_ms).max().unwrap_or_default();
    let batches: Vec<(&str, &[IncomingEvent])> =
        jobs.iter().map(|job| (job.write_key.as_str(), job.events.as_slice())).collect();
    match store.insert_batches(&batches, received_at_ms) {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        // One batch the database refuses must not fail the others committed with it.
        Err(_) if jobs.len() > 1 => {
            for job in jobs {
                commit(store, vec![job]);
            }
        }
        Err(error) => {
            let message = match error {
                StoreError::Database(message) => message,
                other => other.to_string(),
            };
            eprintln!("uptake-collector: could not store a batch: {message}");
            for job in jobs {
                let _ = job.reply.send(Err(message.clone()));
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
        let (writer, thread) = Writer::start(Box::new(SqliteStore::open(&path).unwrap())).unwrap();
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
