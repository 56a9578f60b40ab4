//! The config's answers: by Accept-Encoding, with tags a browser revalidates against.

use std::io::Read;

use axum::body::to_bytes;
use flate2::read::GzDecoder;

use super::*;

const TEXT: &str = r#"["uptake-compiled-config/2",{"a":1}]"#;

fn request(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    headers
}

async fn body(response: Response) -> Vec<u8> {
    to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()
}

#[test]
fn gzip_is_taken_when_the_request_accepts_it() {
    for (accept, expected) in [
        ("gzip, deflate, br, zstd", true),
        ("br;q=1.0, gzip;q=0.8", true),
        ("GZIP;Q=0.5", true),
        ("x-gzip", true),
        ("*", true),
        ("br", false),
        ("identity", false),
        ("gzip;q=0", false),
        ("gzip; q=0.000", false),
        ("*;q=1, gzip;q=0", false),
        ("", false),
    ] {
        assert_eq!(accepts_gzip(&request(&[(header::ACCEPT_ENCODING, accept)])), expected, "{accept:?}");
    }
    assert!(!accepts_gzip(&HeaderMap::new()), "no header: the text as it is");
    let two_headers = request(&[(header::ACCEPT_ENCODING, "br"), (header::ACCEPT_ENCODING, "gzip")]);
    assert!(accepts_gzip(&two_headers), "every Accept-Encoding header counts");
}

#[tokio::test]
async fn the_gzip_form_reads_back_as_the_text() {
    let config = ServedConfig::new(TEXT.to_owned());
    let response = config.respond(&request(&[(header::ACCEPT_ENCODING, "gzip, br")]));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()[header::VARY], "accept-encoding");
    let mut text = String::new();
    GzDecoder::new(body(response).await.as_slice()).read_to_string(&mut text).unwrap();
    assert_eq!(text, TEXT);

    let plain = config.respond(&HeaderMap::new());
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.headers()[header::VARY], "accept-encoding");
    assert_eq!(body(plain).await, TEXT.as_bytes());
}

#[tokio::test]
async fn a_copy_with_the_current_tag_is_not_modified() {
    let config = ServedConfig::new(TEXT.to_owned());
    let gzip = request(&[(header::ACCEPT_ENCODING, "gzip")]);
    let first = config.respond(&gzip);
    let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    let plain_tag = config.respond(&HeaderMap::new()).headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(tag, plain_tag, "each form has its own tag");

    for if_none_match in [tag.clone(), format!("W/{tag}"), format!("\"other\", {tag}"), "*".to_owned()] {
        let again =
            config.respond(&request(&[(header::ACCEPT_ENCODING, "gzip"), (header::IF_NONE_MATCH, &if_none_match)]));
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{if_none_match}");
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        assert!(body(again).await.is_empty(), "no body with a 304");
    }
    let other_form = config.respond(&request(&[(header::IF_NONE_MATCH, &tag)]));
    assert_eq!(other_form.status(), StatusCode::OK, "the gzip form's tag does not validate the text");
    let stale = config.respond(&request(&[(header::ACCEPT_ENCODING, "gzip"), (header::IF_NONE_MATCH, "\"0\"")]));
    assert_eq!(stale.status(), StatusCode::OK);
}

#[test]
fn the_tag_follows_the_config() {
    let tag = |text: &str| ServedConfig::new(text.to_owned()).text_tag;
    // The core's stable hash of the text, whose known values the core tests: the same in every
    // process and every release.
    assert_eq!(tag(TEXT), format!("\"{:016x}\"", uptake_core::hash::stable_hash(&[TEXT])).as_str());
    assert_ne!(tag(TEXT), tag(&TEXT.replace('1', "2")));
    // Python: fnv1a(b"\0"), then murmur3's fmix64.
    assert_eq!(tag(""), "\"b9034ad37056f5fb\"");
    assert_eq!(tag("a"), "\"86fc2d0407502de5\"", "the core's known hash of \"a\"");
}
