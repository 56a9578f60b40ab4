//! Build script of the browser SDK: writes `styles.css` without its comments and spare
//! whitespace to `OUT_DIR`, where `ui` embeds it. The source keeps its comments; the wasm
//! carries the stylesheet as text, and 2.2 KB of it was comments and indentation (1 KB of the
//! gzipped SDK). `tests/wasm/browser.rs` checks that the browser reads both into the same rules.

use std::{env, fs, path::Path};

const SOURCE: &str = "src/ui/styles.css";

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    let css = fs::read_to_string(SOURCE).unwrap_or_else(|error| panic!("cannot read {SOURCE}: {error}"));
    let out_dir = env::var("OUT_DIR").unwrap_or_else(|error| panic!("OUT_DIR is not set: {error}"));
    let target = Path::new(&out_dir).join("styles.css");
    fs::write(&target, compact(&css)).unwrap_or_else(|error| panic!("cannot write {}: {error}", target.display()));
}

/// Drops `/* */` comments, turns each run of whitespace into one space, and removes the space
/// next to `{`, `}` and `;`, where CSS never needs it. Spaces elsewhere are kept: around `:` a
/// space can be a descendant combinator (`.card :focus`), `calc()` needs its spaces around `+`
/// and `-`, and a custom property keeps its value's text as written, commas and spaces
/// included. The stylesheet has no strings or URLs holding these characters.
fn compact(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..].find("*/").map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    without_comments.push_str(rest);

    let mut compacted = String::with_capacity(without_comments.len());
    let mut pending_space = false;
    for character in without_comments.chars() {
        if character.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = |c: char| matches!(c, '{' | '}' | ';');
        if pending_space && !compacted.is_empty() && !tight(character) && !compacted.ends_with(tight) {
            compacted.push(' ');
        }
        pending_space = false;
        compacted.push(character);
    }
    compacted
}
