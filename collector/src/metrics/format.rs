//! An answer of `/v1/metrics/` as JSON (`{"as_of", "config_version", <name>: [rows], ...}`) or
//! as CSV (`?format=csv`): one line per row, nested fields flattened into dotted columns
//! (`features.approve.barrier`), the columns of the first row, by name.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::params::Format;

/// Adds `value`'s leaves to `columns` under `prefix`.
fn flatten(prefix: &str, value: &Value, columns: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                flatten(&path, field, columns);
            }
        }
        Value::Null => columns.push((prefix.to_owned(), String::new())),
        Value::String(text) => columns.push((prefix.to_owned(), text.clone())),
        other => columns.push((prefix.to_owned(), other.to_string())),
    }
}

fn csv_text(rows: &[Value]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let flat: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|row| {
            let mut columns = Vec::new();
            flatten("", row, &mut columns);
            columns
        })
        .collect();
    if let Some(first) = flat.first() {
        writer.write_record(first.iter().map(|(name, _)| name))?;
        for row in &flat {
            writer.write_record(first.iter().map(|(name, _)| {
                row.iter().find(|(column, _)| column == name).map_or("", |(_, value)| value.as_str())
            }))?;
        }
    }
    let bytes = writer.into_inner().map_err(|error| csv::Error::from(error.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The answer: `header` fields then the rows under `name`, or the rows alone as CSV.
pub fn answer(format: Format, header_fields: Map<String, Value>, name: &str, rows: Vec<Value>) -> Response {
    match format {
        Format::Json => {
            let mut body = header_fields;
            body.insert(name.to_owned(), Value::Array(rows));
            axum::Json(Value::Object(body)).into_response()
        }
        Format::Csv => match csv_text(&rows) {
            Ok(text) => {
                let disposition = format!("attachment; filename=\"uptake-{name}.csv\"");
                let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response();
                if let Ok(value) = HeaderValue::from_str(&disposition) {
                    response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
                }
                response
            }
            Err(error) => crate::routes::message(axum::http::StatusCode::INTERNAL_SERVER_ERROR, error),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_rows_become_dotted_columns_and_text_is_quoted() {
        let rows = vec![
            json!({"user": "u-1", "features": {"approve": {"barrier": "none"}}, "ttfv": null}),
            json!({"user": "u-2, \"the second\"", "features": {"approve": {"barrier": "stuck"}}, "ttfv": 3}),
        ];
        assert_eq!(
            csv_text(&rows).unwrap(),
            "features.approve.barrier,ttfv,user\nnone,,u-1\nstuck,3,\"u-2, \"\"the second\"\"\"\n"
        );
        assert_eq!(csv_text(&[]).unwrap(), "");
    }
}
