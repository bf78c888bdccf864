//! Scripts, styles and the icon, compiled into the binary: pages load nothing from outside
//! the server. The vendored libraries keep their version in the name, so they are cached for
//! a year; the project's own files for an hour.

use super::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// (name, content type, bytes, immutable)
const FILES: &[(&str, &str, &[u8], bool)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
        false,
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/app.js"),
        false,
    ),
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/dashboard.js"),
        false,
    ),
    (
        "reliability.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/reliability.js"),
        false,
    ),
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/live.js"),
        false,
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/favicon.svg"),
        false,
    ),
    (
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/htmx-2.0.11.min.js"),
        true,
    ),
    (
        "uPlot-1.6.32.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/uPlot-1.6.32.min.js"),
        true,
    ),
    (
        "uPlot-1.6.32.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/vendor/uPlot-1.6.32.min.css"),
        true,
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(n, ..)| *n == file) {
        Some((_, ct, bytes, immutable)) => {
            let cache = if *immutable {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=3600"
            };
            (
                [(header::CONTENT_TYPE, *ct), (header::CACHE_CONTROL, cache)],
                *bytes,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// Bytes of scripts and styles a page with these files loads.
#[cfg(test)]
pub fn weight(names: &[&str]) -> usize {
    names
        .iter()
        .filter_map(|n| FILES.iter().find(|(f, ..)| f == n))
        .map(|(_, _, b, _)| b.len())
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_heaviest_page_stays_under_500_kb_of_script_and_style() {
        let w = super::weight(&[
            "app.css",
            "app.js",
            "htmx-2.0.11.min.js",
            "uPlot-1.6.32.min.js",
            "uPlot-1.6.32.min.css",
            "dashboard.js",
            "live.js",
        ]);
        assert!(w < 500 * 1024, "{w} bytes");
    }
}
