//! The one place that decides which servers a load run may target: loopback only.

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::Url;

/// Parses `url` and accepts it only if it points at this machine's loopback interface
/// (`127.0.0.1`, `localhost` or `[::1]`) over plain HTTP, with no credentials, query or
/// fragment. Returns the URL with any trailing `/` of its path removed, ready to have
/// `/api/v1/...` appended.
pub fn check_loopback_url(url: &str) -> anyhow::Result<Url> {
    let mut parsed = Url::parse(url).with_context(|| format!("invalid URL {url:?}"))?;
    if parsed.scheme() != "http" {
        bail!("URL {url:?}: only http:// is supported (load runs target loopback only)");
    }
    // `Url` normalizes hosts first (`127.1` and `2130706433` become `127.0.0.1`, IPv6 is
    // compressed, names are lowercased), so comparing the serialized host is exact.
    match parsed.host_str() {
        Some("127.0.0.1" | "localhost" | "[::1]") => {}
        Some(other) => bail!(
            "URL {url:?}: host {other} is not loopback; load runs may only target \
             127.0.0.1, localhost or [::1]"
        ),
        None => bail!("URL {url:?} has no host"),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        bail!("URL {url:?}: credentials in the URL are not supported; use the token");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        bail!("URL {url:?}: give the server's base URL, without query or fragment");
    }
    let path = parsed.path().trim_end_matches('/').to_string();
    parsed.set_path(&path);
    Ok(parsed)
}

/// The base URL as a string without a trailing `/`, so `format!("{base}/api/v1/...")` works.
pub(crate) fn base_string(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

/// An HTTP client that goes straight to the server: never through a proxy from the
/// environment, never redirected elsewhere, with `localhost` pinned to 127.0.0.1.
pub(crate) fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", ([127, 0, 0, 1], 0).into())
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(2).min(timeout))
        .timeout(timeout)
        .pool_max_idle_per_host(1)
        .user_agent(concat!("voltdesk-loadgen/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str, base: &str) {
        let u = check_loopback_url(url).unwrap_or_else(|e| panic!("{url}: {e:#}"));
        assert_eq!(base_string(&u), base, "{url}");
    }

    fn refused(url: &str) {
        assert!(check_loopback_url(url).is_err(), "{url} should be refused");
    }

    #[test]
    fn accepts_loopback_hosts() {
        ok("http://127.0.0.1:8080", "http://127.0.0.1:8080");
        ok("http://127.0.0.1:8080/", "http://127.0.0.1:8080");
        ok("http://localhost:3000", "http://localhost:3000");
        ok("http://LOCALHOST:3000", "http://localhost:3000");
        ok("http://[::1]:3000", "http://[::1]:3000");
        ok("http://[0:0:0:0:0:0:0:1]:3000", "http://[::1]:3000");
        ok("http://127.1:8080", "http://127.0.0.1:8080");
        ok(
            "http://127.0.0.1:8080/voltdesk/",
            "http://127.0.0.1:8080/voltdesk",
        );
    }

    #[test]
    fn refuses_everything_else() {
        refused("http://10.0.0.5:8080");
        refused("http://192.168.1.10");
        refused("http://172.16.0.1");
        refused("http://8.8.8.8");
        refused("http://example.com");
        refused("http://localhost.example.com");
        refused("http://127.0.0.2:8080");
        refused("http://0.0.0.0:8080");
        refused("http://[::2]:8080");
        refused("http://[::ffff:127.0.0.1]:8080");
        refused("https://127.0.0.1:8443");
        refused("ftp://127.0.0.1");
        refused("http://user:pw@127.0.0.1:8080");
        refused("http://127.0.0.1:8080/?x=1");
        refused("127.0.0.1:8080");
        refused("");
    }
}
