//! Fuzzes the reading of a batch request: any body, compressed or not, with or without Basic
//! auth, is either refused with a reason or read into events that each fit the event limit,
//! with the refused ones named by increasing index.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use uptake_collector::batch::{INVALID_LISTED, Limits, read_batch};
use uptake_collector::body::decoded;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else { return };
    let limits = Limits { batch_bytes: 64 * 1024, event_bytes: 4 * 1024 };
    let mut headers = HeaderMap::new();
    if flags & 1 != 0 {
        // "dev:" in base64
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic ZGV2Og=="));
    }
    let json = match decoded(body, flags & 2 != 0, limits.batch_bytes) {
        Ok(json) => json,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    assert!(json.len() <= limits.batch_bytes);
    match read_batch(&json, &headers, &["dev".to_owned()], &limits) {
        Ok(batch) => {
            assert_eq!(batch.write_key, "dev");
            assert!(batch.events.iter().all(|incoming| incoming.body.len() <= limits.event_bytes));
            assert!(batch.invalid.windows(2).all(|pair| pair[0].index < pair[1].index));
            assert!(batch.invalid.len() <= INVALID_LISTED.min(batch.invalid_count));
            // Each event is kept as one line (its JSON was read from that text).
            assert!(batch.events.iter().all(|incoming| !incoming.body.contains('\n')));
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
