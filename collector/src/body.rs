//! A batch request's body before it is read as JSON: read within the batch limit and with no
//! pause longer than the body timeout (a client that stalls gets 408, not a connection held
//! open), gzip-compressed when the sender says so (`Content-Encoding: gzip` from servers,
//! `?gzip=1` from browsers, which cannot set that header without a CORS preflight), and never
//! larger than the batch limit once decompressed, so a small zip bomb gets 413 instead of the
//! collector's memory.

use std::borrow::Cow;
use std::io::Read;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use flate2::read::MultiGzDecoder;
use http_body_util::BodyExt;

/// Why a body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the batch is larger than {limit} bytes{}; send fewer events per batch", if *.compressed { " once decompressed" } else { "" })]
    TooLarge { limit: usize, compressed: bool },
    #[error("the body is not valid gzip: {0}")]
    BadGzip(String),
    #[error("Content-Encoding {0:?} is not supported; send the body as is or gzip-compressed")]
    UnsupportedEncoding(String),
    #[error("the body stopped arriving for {0:?}; send it without pausing")]
    Stalled(Duration),
    #[error("the body could not be read: {0}")]
    Unreadable(String),
}

/// Reads a request's body: at most `limit` bytes, each part within `pause` of the one before.
pub async fn read(body: Body, headers: &HeaderMap, limit: usize, pause: Duration) -> Result<Bytes, BodyError> {
    // A body declared over the limit is still read up to it before the answer: answered at
    // once, a client still sending would find its connection reset before it reads the 413.
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let mut body = body;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    loop {
        let frame = match tokio::time::timeout(pause, body.frame()).await {
            Err(_) => return Err(BodyError::Stalled(pause)),
            Ok(None) => return Ok(Bytes::from(bytes)),
            Ok(Some(frame)) => frame.map_err(|error| BodyError::Unreadable(error.to_string()))?,
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(BodyError::TooLarge { limit, compressed: false });
            }
            bytes.extend_from_slice(&data);
        }
    }
}

/// Whether the body is gzip-compressed, by header or by the `gzip` query parameter.
pub fn is_gzip(headers: &HeaderMap, query: Option<&str>) -> Result<bool, BodyError> {
    let by_query = query.is_some_and(|query| {
        query.split('&').any(|pair| matches!(pair.split_once('='), Some(("gzip", "1" | "true"))) || pair == "gzip")
    });
    let by_header = match headers.get(header::CONTENT_ENCODING) {
        None => false,
        Some(value) => {
            let value = value.to_str().unwrap_or_default().trim();
            match value.to_ascii_lowercase().as_str() {
                "gzip" | "x-gzip" => true,
                "" | "identity" => false,
                _ => return Err(BodyError::UnsupportedEncoding(value.to_owned())),
            }
        }
    };
    Ok(by_query || by_header)
}

/// The body as JSON bytes: decompressed if needed, at most `limit` bytes.
pub fn decoded(raw: &[u8], gzip: bool, limit: usize) -> Result<Cow<'_, [u8]>, BodyError> {
    if !gzip {
        return if raw.len() > limit {
            Err(BodyError::TooLarge { limit, compressed: false })
        } else {
            Ok(Cow::Borrowed(raw))
        };
    }
    let mut decoded = Vec::with_capacity(raw.len().saturating_mul(4).min(limit));
    // One byte more than allowed tells "exactly at the limit" from "over it". Every member of
    // the stream is read (RFC 1952: a gzip file is a series of members), and bytes after the
    // last one that are not a member are refused.
    let read = MultiGzDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| BodyError::BadGzip(error.to_string()))?;
    if read > limit {
        return Err(BodyError::TooLarge { limit, compressed: true });
    }
    Ok(Cow::Owned(decoded))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use axum::http::HeaderValue;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn compression_is_said_by_header_or_by_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(is_gzip(&headers, None), Ok(false));
        assert_eq!(is_gzip(&headers, Some("gzip=1")), Ok(true));
        assert_eq!(is_gzip(&headers, Some("a=b&gzip=true")), Ok(true));
        assert_eq!(is_gzip(&headers, Some("gzip=0")), Ok(false));
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("GZIP"));
        assert_eq!(is_gzip(&headers, None), Ok(true));
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert_eq!(is_gzip(&headers, None), Err(BodyError::UnsupportedEncoding("br".into())));
    }

    #[test]
    fn gzip_bodies_are_decompressed_within_the_limit() {
        let json = br#"{"batch": []}"#;
        assert_eq!(decoded(&gzip(json), true, 1024).unwrap().as_ref(), json);
        assert_eq!(decoded(json, false, 1024).unwrap().as_ref(), json);
        assert_eq!(decoded(&gzip(json), true, json.len()).unwrap().as_ref(), json, "exactly at the limit");
        assert!(matches!(decoded(b"not gzip", true, 1024), Err(BodyError::BadGzip(_))));
        assert_eq!(decoded(json, false, 4), Err(BodyError::TooLarge { limit: 4, compressed: false }));
    }

    #[test]
    fn every_member_is_read_and_trailing_bytes_are_refused() {
        let two_members = [gzip(br#"{"batch": "#), gzip(br#"[]}"#)].concat();
        assert_eq!(decoded(&two_members, true, 1024).unwrap().as_ref(), br#"{"batch": []}"#);
        let trailing = [gzip(br#"{"batch": []}"#), b"garbage".to_vec()].concat();
        assert!(
            matches!(decoded(&trailing, true, 1024), Err(BodyError::BadGzip(_))),
            "{:?}",
            decoded(&trailing, true, 1024)
        );
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        // 64 MiB of zeros compress to about 64 KB; reading stops after the limit.
        let bomb = gzip(&vec![0; 64 << 20]);
        assert!(bomb.len() < 100_000);
        assert_eq!(decoded(&bomb, true, 500 * 1024), Err(BodyError::TooLarge { limit: 500 * 1024, compressed: true }));
    }
}
