//! The attachments folder: files kept under their SHA-256 (`ab/abcdef…`), so the same bytes
//! are one file. A file is written to a temporary name in `tmp/`, flushed to disk, renamed
//! into place and its folder flushed, all before the row that names it commits; a read
//! checks the bytes against their checksum, so a damaged file is an error, never wrong
//! bytes. The only file I/O of attachments.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("attachment file {0} is missing")]
    Missing(String),
    #[error("attachment file {0} does not match its checksum")]
    Mismatch(String),
    #[error("attachment folder: {0}")]
    Io(#[from] std::io::Error),
}

/// The folder attachments are kept in.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let ok = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Writes `bytes` durably; returns their SHA-256 (the name they are read back by).
    pub async fn put(&self, bytes: std::sync::Arc<[u8]>) -> Result<String, BlobError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.put_blocking(&bytes))
            .await
            .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
    }

    fn put_blocking(&self, bytes: &[u8]) -> Result<String, BlobError> {
        let sha = sha256_hex(bytes);
        let target = self.path_of(&sha).expect("a digest is 64 hex digits");
        let tmp_dir = self.dir.join("tmp");
        std::fs::create_dir_all(&tmp_dir)?;
        let folder = target.parent().expect("a file in a folder");
        std::fs::create_dir_all(folder)?;
        let tmp = tmp_dir.join(format!(
            "{}-{}.part",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &target)?;
            // The rename itself is durable once its folder is.
            std::fs::File::open(folder)?.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        Ok(sha)
    }

    /// The bytes stored under `sha256`, checked against it.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>, BlobError> {
        let path = self
            .path_of(sha256)
            .ok_or_else(|| BlobError::Mismatch(sha256.to_string()))?;
        let sha = sha256.to_string();
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BlobError::Missing(sha));
            }
            Err(e) => return Err(e.into()),
        };
        let check = tokio::task::spawn_blocking(move || (sha256_hex(&bytes) == sha, bytes, sha))
            .await
            .map_err(|e| BlobError::Io(std::io::Error::other(e)))?;
        match check {
            (true, bytes, _) => Ok(bytes),
            (false, _, sha) => Err(BlobError::Mismatch(sha)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_round_trips_and_damage_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path().join("attachments"));
        let sha = blobs.put(b"hello".to_vec().into()).await.unwrap();
        assert_eq!(sha, sha256_hex(b"hello"));
        assert_eq!(blobs.get(&sha).await.unwrap(), b"hello");
        // The same bytes again are the same file.
        assert_eq!(blobs.put(b"hello".to_vec().into()).await.unwrap(), sha);
        let tmp: Vec<_> = std::fs::read_dir(dir.path().join("attachments/tmp"))
            .unwrap()
            .collect();
        assert!(tmp.is_empty(), "no temporary file left behind");
        std::fs::write(blobs.path_of(&sha).unwrap(), b"hellO").unwrap();
        assert!(matches!(blobs.get(&sha).await, Err(BlobError::Mismatch(_))));
        let other = sha256_hex(b"other");
        assert!(matches!(
            blobs.get(&other).await,
            Err(BlobError::Missing(_))
        ));
        assert!(matches!(
            blobs.get("../../etc/passwd").await,
            Err(BlobError::Mismatch(_))
        ));
    }
}
