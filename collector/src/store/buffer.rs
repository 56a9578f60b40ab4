//! The records the writer changed since it last wrote them to the database, held in memory. A
//! record written at every commit dirtied a page of its own for every user of the commit, and
//! was read and parsed again at the next: with 100,000 users, ingest fell to a quarter. Here
//! commits change the records in memory, and they are written out together now and then (every
//! record once, however many events it took in), with the id of the last event they include, so
//! that after a crash the events after it are taken in again (`catch_up`). A transaction that
//! fails after changing them leaves them ahead of the database: they are dropped, and its events
//! before taken in again the same way.

use std::time::{Duration, Instant};

use crate::derived::RecordSet;

/// Records are written out once this many events were taken in since the last time...
const WRITE_OUT_EVENTS: usize = 1_000_000;
/// ... or this many records are held (a few KB each; fewer are kept once written, so that the
/// next commits need not read them again)...
const WRITE_OUT_RECORDS: usize = 250_000;
/// ... or the first record held has waited this long.
const WRITE_OUT_AFTER: Duration = Duration::from_secs(30);

/// The records changed since the last write-out.
#[derive(Default)]
pub struct RecordBuffer {
    pub set: RecordSet,
    /// The last event the records take in.
    pub applied_through: i64,
    /// Events taken in since the last write-out.
    events: usize,
    /// When the first record held was taken in.
    since: Option<Instant>,
}

impl RecordBuffer {
    /// Events up to `applied_through` were taken into `set`.
    pub fn took(&mut self, events: usize, applied_through: i64) {
        self.events += events;
        self.applied_through = self.applied_through.max(applied_through);
        self.since.get_or_insert_with(Instant::now);
    }

    /// Whether the records held are to be written out now.
    pub fn write_out_due(&self) -> bool {
        self.events >= WRITE_OUT_EVENTS
            || self.set.held() >= WRITE_OUT_RECORDS
            || self.since.is_some_and(|since| since.elapsed() >= WRITE_OUT_AFTER)
    }

    /// Whether records are held that the database does not have.
    pub fn is_written(&self) -> bool {
        self.since.is_none()
    }

    /// The records written out are in the database: they are kept, unless they are too many.
    pub fn written(&mut self) {
        if self.set.held() >= WRITE_OUT_RECORDS {
            self.reset(self.applied_through);
        } else {
            self.set.written();
            self.events = 0;
            self.since = None;
        }
    }

    /// The records are dropped (to be read again, or taken in again): memory is let go, and
    /// the records start again from the database's, which take in events up to
    /// `applied_through`.
    pub fn reset(&mut self, applied_through: i64) {
        *self = RecordBuffer { applied_through, ..RecordBuffer::default() };
    }
}
