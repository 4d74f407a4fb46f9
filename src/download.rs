//! HTTP downloads: every byte is hashed as it arrives, and nothing is used before the checksum
//! matches. URLs are printed without their credentials.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DownloadError {
    #[error("request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("could not write the download from {url}: {source}")]
    Write { url: String, source: std::io::Error },
    #[error("checksum mismatch for {url}: expected sha256:{expected}, got sha256:{actual}")]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },
}

/// Replaces the user-info part of a URL (`https://user:token@host/…`) so it is never printed or
/// stored.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://[redacted]@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

fn get(url: &str) -> Result<ureq::Body, DownloadError> {
    ureq::get(url)
        .call()
        .map(ureq::http::Response::into_body)
        .map_err(|error| DownloadError::Request {
            url: redact_url(url),
            reason: match error {
                ureq::Error::StatusCode(code) => format!("the server answered HTTP {code}"),
                other => other.to_string(),
            },
        })
}

pub(crate) fn fetch_text(url: &str) -> Result<String, DownloadError> {
    get(url)?
        .read_to_string()
        .map_err(|error| DownloadError::Request {
            url: redact_url(url),
            reason: error.to_string(),
        })
}

/// Streams `url` into `destination`, hashing on the way. On a checksum mismatch the file is
/// removed, so no part of an unverified download is ever read.
pub(crate) fn download_verified(
    url: &str,
    destination: &Path,
    expected_sha256: &[u8],
) -> Result<(), DownloadError> {
    let shown_url = redact_url(url);
    let write_error = |source| DownloadError::Write {
        url: shown_url.clone(),
        source,
    };
    let mut reader = get(url)?.into_reader();
    let mut writer = BufWriter::new(File::create(destination).map_err(write_error)?);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let read = reader
            .read(&mut buffer)
            .map_err(|error| DownloadError::Request {
                url: shown_url.clone(),
                reason: error.to_string(),
            })?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        writer.write_all(&buffer[..read]).map_err(write_error)?;
    }
    writer.flush().map_err(write_error)?;
    drop(writer);

    let actual = hasher.finalize();
    if actual.as_slice() != expected_sha256 {
        let _ = std::fs::remove_file(destination);
        return Err(DownloadError::ChecksumMismatch {
            url: shown_url,
            expected: hex(expected_sha256),
            actual: hex(&actual),
        });
    }
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact_url("https://user:s3cret@mirror.example/go/"),
            "https://[redacted]@mirror.example/go/"
        );
        assert_eq!(redact_url("https://go.dev/dl/a@b"), "https://go.dev/dl/a@b");
        assert_eq!(redact_url("/srv/inventory.toml"), "/srv/inventory.toml");
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
