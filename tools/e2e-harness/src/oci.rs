//! OCI image layouts on disk: the run image the harness writes for the lifecycle, and the app
//! image the lifecycle's exporter writes, read back to inspect and to unpack for launching.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex(&Sha256::digest(bytes))
}

/// The directory of an image in a lifecycle layout repository, as the lifecycle maps a
/// reference (`registry.test/gocnb/app` → `<repo>/registry.test/gocnb/app/latest`).
#[must_use]
pub fn image_dir(layout_repo: &Path, reference: &str) -> PathBuf {
    let (name, tag) = match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (reference, "latest"),
    };
    layout_repo.join(name).join(tag)
}

fn write_blob(layout: &Path, bytes: &[u8]) -> Result<(String, usize), String> {
    let digest = format!("sha256:{}", sha256_hex(bytes));
    let path = layout.join("blobs").join("sha256").join(&digest[7..]);
    std::fs::create_dir_all(path.parent().unwrap_or(layout))
        .map_err(|e| format!("create blobs: {e}"))?;
    std::fs::write(&path, bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
    Ok((digest, bytes.len()))
}

fn tar_entry(
    builder: &mut tar::Builder<Vec<u8>>,
    path: &str,
    contents: Option<&str>,
    mode: u32,
    owner: u64,
) -> Result<(), String> {
    let mut header = tar::Header::new_gnu();
    header.set_uid(owner);
    header.set_gid(owner);
    header.set_mode(mode);
    header.set_mtime(0);
    let bytes = contents.unwrap_or_default().as_bytes();
    if contents.is_some() {
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
    } else {
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
    }
    builder
        .append_data(&mut header, path, bytes)
        .map_err(|e| format!("tar {path}: {e}"))
}

/// The run image's one layer: the accounts of a run image (root and the cnb user, uid and gid
/// 1000), the cnb user's home, and `/tmp`.
fn run_image_layer() -> Result<Vec<u8>, String> {
    let mut builder = tar::Builder::new(Vec::new());
    tar_entry(&mut builder, "etc/", None, 0o755, 0)?;
    tar_entry(
        &mut builder,
        "etc/passwd",
        Some("root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n"),
        0o644,
        0,
    )?;
    tar_entry(
        &mut builder,
        "etc/group",
        Some("root:x:0:\ncnb:x:1000:\n"),
        0o644,
        0,
    )?;
    tar_entry(&mut builder, "home/", None, 0o755, 0)?;
    tar_entry(&mut builder, "home/cnb/", None, 0o755, 1000)?;
    tar_entry(&mut builder, "tmp/", None, 0o1777, 0)?;
    builder.into_inner().map_err(|e| format!("tar: {e}"))
}

/// Writes a minimal run image as an OCI layout at `dir`: a config for `linux/<arch>` with the
/// cnb user, a builder-like PATH and the distribution labels the lifecycle turns into
/// `CNB_TARGET_DISTRO_*`, and the one small layer of [`run_image_layer`]. The launch sandbox
/// lends the machine's `/usr` where a real run image would bring a distribution.
///
/// # Errors
/// When a file cannot be written.
pub fn write_run_image(
    dir: &Path,
    arch: &str,
    distro_name: &str,
    distro_version: &str,
) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let layer = run_image_layer()?;
    let (layer_digest, layer_size) = write_blob(dir, &layer)?;
    let config = json!({
        "architecture": arch,
        "os": "linux",
        "config": {
            "User": "1000:1000",
            "Env": [format!("PATH={}", crate::sandbox::BUILDER_PATH)],
            "Labels": {
                "io.buildpacks.base.distro.name": distro_name,
                "io.buildpacks.base.distro.version": distro_version,
                "io.buildpacks.stack.id": "gocnb.test.run",
            },
        },
        "rootfs": { "type": "layers", "diff_ids": [layer_digest] },
        "history": [{ "created_by": "gocnb e2e harness: run image accounts, home and /tmp" }],
    });
    let (config_digest, config_size) = write_blob(dir, config.to_string().as_bytes())?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": { "mediaType": CONFIG_MEDIA_TYPE, "digest": config_digest, "size": config_size },
        "layers": [{ "mediaType": LAYER_MEDIA_TYPE, "digest": layer_digest, "size": layer_size }],
    });
    let manifest_bytes = manifest.to_string();
    let (manifest_digest, manifest_size) = write_blob(dir, manifest_bytes.as_bytes())?;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{ "mediaType": MANIFEST_MEDIA_TYPE, "digest": manifest_digest, "size": manifest_size }],
    });
    std::fs::write(dir.join("index.json"), index.to_string())
        .map_err(|e| format!("write index.json: {e}"))?;
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .map_err(|e| format!("write oci-layout: {e}"))?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct LayerBlob {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
}

/// An image read from an OCI layout directory.
#[derive(Debug, Clone)]
pub struct Image {
    dir: PathBuf,
    pub config: Value,
    pub layers: Vec<LayerBlob>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("parse {}: {e}", path.display()))
}

impl Image {
    /// # Errors
    /// When the layout is missing or malformed.
    pub fn open(dir: &Path) -> Result<Self, String> {
        let index = read_json(&dir.join("index.json"))?;
        let manifest_digest = index["manifests"][0]["digest"]
            .as_str()
            .ok_or_else(|| format!("{}: index.json names no manifest", dir.display()))?
            .to_string();
        let blob = |digest: &str| {
            dir.join("blobs")
                .join("sha256")
                .join(digest.trim_start_matches("sha256:"))
        };
        let manifest = read_json(&blob(&manifest_digest))?;
        let config_digest = manifest["config"]["digest"]
            .as_str()
            .ok_or("the manifest names no config")?;
        let config = read_json(&blob(config_digest))?;
        let layers = manifest["layers"]
            .as_array()
            .ok_or("the manifest lists no layers")?
            .iter()
            .map(|layer| LayerBlob {
                digest: layer["digest"].as_str().unwrap_or_default().to_string(),
                media_type: layer["mediaType"].as_str().unwrap_or_default().to_string(),
                size: layer["size"].as_u64().unwrap_or_default(),
            })
            .collect();
        Ok(Image {
            dir: dir.to_path_buf(),
            config,
            layers,
        })
    }

    /// A label of the image config, parsed as JSON (the lifecycle's labels are JSON).
    #[must_use]
    pub fn json_label(&self, name: &str) -> Option<Value> {
        self.config["config"]["Labels"][name]
            .as_str()
            .and_then(|text| serde_json::from_str(text).ok())
    }

    #[must_use]
    pub fn entrypoint(&self) -> Vec<String> {
        string_list(&self.config["config"]["Entrypoint"])
    }

    /// `NAME=value` pairs of the image config.
    #[must_use]
    pub fn env(&self) -> Vec<(String, String)> {
        string_list(&self.config["config"]["Env"])
            .into_iter()
            .filter_map(|pair| {
                pair.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect()
    }

    #[must_use]
    pub fn working_dir(&self) -> String {
        self.config["config"]["WorkingDir"]
            .as_str()
            .filter(|dir| !dir.is_empty())
            .unwrap_or("/")
            .to_string()
    }

    /// Unpacks every layer in order into `dest`, applying whiteouts, keeping owners and modes.
    ///
    /// # Errors
    /// When a blob is missing or an entry cannot be written.
    pub fn unpack(&self, dest: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dest).map_err(|e| format!("create {}: {e}", dest.display()))?;
        for layer in &self.layers {
            let path = self
                .dir
                .join("blobs")
                .join("sha256")
                .join(layer.digest.trim_start_matches("sha256:"));
            let file =
                std::fs::File::open(&path).map_err(|e| format!("open {}: {e}", path.display()))?;
            let reader: Box<dyn Read> = if layer.media_type.ends_with("gzip") {
                Box::new(flate2::read::GzDecoder::new(file))
            } else {
                Box::new(file)
            };
            let mut archive = tar::Archive::new(reader);
            archive.set_preserve_permissions(true);
            archive.set_preserve_ownerships(true);
            archive.set_unpack_xattrs(false);
            for entry in archive
                .entries()
                .map_err(|e| format!("read layer {}: {e}", layer.digest))?
            {
                let mut entry = entry.map_err(|e| format!("read layer {}: {e}", layer.digest))?;
                let entry_path = entry
                    .path()
                    .map_err(|e| format!("entry path: {e}"))?
                    .into_owned();
                let file_name = entry_path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(hidden) = file_name.strip_prefix(".wh.") {
                    let parent = dest.join(entry_path.parent().unwrap_or(Path::new("")));
                    if hidden == ".wh..opq" {
                        let _ = std::fs::remove_dir_all(&parent);
                        let _ = std::fs::create_dir_all(&parent);
                    } else {
                        let target = parent.join(hidden);
                        let _ = std::fs::remove_dir_all(&target);
                        let _ = std::fs::remove_file(&target);
                    }
                    continue;
                }
                entry
                    .unpack_in(dest)
                    .map_err(|e| format!("unpack {}: {e}", entry_path.display()))?;
            }
        }
        Ok(())
    }
}

fn string_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_map_to_layout_paths_like_the_lifecycle() {
        let repo = Path::new("/repo");
        assert_eq!(
            image_dir(repo, "localhost/gocnb/app"),
            Path::new("/repo/localhost/gocnb/app/latest")
        );
        assert_eq!(
            image_dir(repo, "localhost/gocnb/app:v2"),
            Path::new("/repo/localhost/gocnb/app/v2")
        );
    }

    #[test]
    fn the_run_image_reads_back_and_unpacks() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_run_image(&dir.path().join("run"), "amd64", "debian", "12").expect("write");
        let image = Image::open(&dir.path().join("run")).expect("open");
        assert_eq!(image.config["architecture"], "amd64");
        assert_eq!(
            image.config["config"]["Labels"]["io.buildpacks.base.distro.version"],
            "12"
        );
        assert_eq!(image.layers.len(), 1);
        image.unpack(&dir.path().join("root")).expect("unpack");
        let passwd = std::fs::read_to_string(dir.path().join("root/etc/passwd")).expect("passwd");
        assert!(passwd.contains("cnb:x:1000:1000"), "{passwd}");
    }
}
