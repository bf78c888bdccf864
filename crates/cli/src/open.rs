//! Opening the database and the service, the same way for every command.

use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;
use std::sync::Arc;
use voltdesk_service::{Policies, Service, Store, SystemClock};

/// Where policies come from when `--policy-dir` is not given.
const DEFAULT_POLICY_DIR: &str = "config/policy";

pub struct Opened {
    pub store: Store,
    pub policies: Policies,
}

/// Loads the policies, connects to the database and brings its schema up to date.
pub async fn store(url: &str, policy_dir: Option<&Path>) -> Result<Opened> {
    let policies = match policy_dir {
        Some(dir) => Policies::load_dir(dir).map_err(|e| anyhow!("cannot load policies: {e}"))?,
        None if Path::new(DEFAULT_POLICY_DIR).is_dir() => {
            Policies::load_dir(Path::new(DEFAULT_POLICY_DIR))
                .map_err(|e| anyhow!("cannot load policies: {e}"))?
        }
        None => Policies::bundled(),
    };
    let shown = redact(url);
    if let Some(dir) = sqlite_dir(url)
        && !dir.is_dir()
    {
        bail!(
            "cannot open the database {shown}: the directory {} does not exist",
            dir.display()
        );
    }
    let store = Store::connect(url)
        .await
        .with_context(|| format!("cannot open the database {shown}"))?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot migrate the database {shown}"))?;
    Ok(Opened { store, policies })
}

/// The service on the system clock.
pub async fn service(url: &str, policy_dir: Option<&Path>) -> Result<Service> {
    let Opened { store, policies } = store(url, policy_dir).await?;
    Service::open(store, Arc::new(SystemClock), policies)
        .await
        .context("cannot open the service")
}

/// Where attachments are kept: the folder given, else `attachments` beside the SQLite file
/// (or in the working directory when the database is not a SQLite file).
pub fn attachments_dir(url: &str, given: Option<&Path>) -> std::path::PathBuf {
    if let Some(dir) = given {
        return dir.to_path_buf();
    }
    sqlite_dir(url)
        .map(|dir| dir.join("attachments"))
        .unwrap_or_else(|| Path::new("attachments").to_path_buf())
}

/// The directory a SQLite database file is to be in, when the URL names one.
fn sqlite_dir(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.starts_with(':') {
        return None;
    }
    match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => Some(p),
        _ => None,
    }
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::redact("postgres://vd:secret@db:5432/vd"),
            "postgres://vd:***@db:5432/vd"
        );
        assert_eq!(
            super::redact("sqlite://voltdesk.db"),
            "sqlite://voltdesk.db"
        );
    }

    #[test]
    fn sqlite_directories() {
        use std::path::Path;
        assert_eq!(super::sqlite_dir("sqlite://voltdesk.db"), None);
        assert_eq!(
            super::sqlite_dir("sqlite:///var/lib/vd/x.db?mode=rwc"),
            Some(Path::new("/var/lib/vd"))
        );
        assert_eq!(super::sqlite_dir("sqlite::memory:"), None);
        assert_eq!(super::sqlite_dir("postgres://h/db"), None);
    }

    #[test]
    fn attachments_sit_beside_the_database_file() {
        use super::attachments_dir;
        use std::path::Path;
        assert_eq!(
            attachments_dir("sqlite:///var/lib/vd/x.db?mode=rwc", None),
            Path::new("/var/lib/vd/attachments")
        );
        assert_eq!(
            attachments_dir("sqlite://voltdesk.db", None),
            Path::new("attachments")
        );
        assert_eq!(
            attachments_dir("postgres://h/db", Some(Path::new("/srv/files"))),
            Path::new("/srv/files")
        );
    }
}
