//! Validation of SBOMs against the `CycloneDX` 1.5 JSON schema. The schema, and the SPDX and
//! JSF schemas it refers to, come from the `cyclonedx-python-lib` wheel on `PyPI` (the
//! `CycloneDX` project's own library, which ships them), pinned by version and SHA-256, cached.

use crate::go_mirror::cache_dir;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

const WHEEL_VERSION: &str = "11.12.0";
const WHEEL_SHA256: &str = "0e807521a921a5c3cb8ce1153f8a61d29eedfe76a46aac2796b7c6b573391a54";
/// The schemas in the wheel's `cyclonedx/schema/_res/`, under the names their `$ref`s use.
const SCHEMAS: [&str; 3] = [
    "bom-1.5.SNAPSHOT.schema.json",
    "spdx.SNAPSHOT.schema.json",
    "jsf-0.82.SNAPSHOT.schema.json",
];

/// The directory holding the three schemas, downloaded and verified on first use.
///
/// # Errors
/// When pip cannot download the wheel, its checksum differs, or it lacks a schema.
pub fn schemas_dir() -> Result<PathBuf, String> {
    let dir = cache_dir().join(format!("cyclonedx-schemas-{WHEEL_VERSION}"));
    if dir.join("complete").is_file() {
        return Ok(dir);
    }
    let staging = cache_dir().join(format!("cyclonedx-schemas-{WHEEL_VERSION}.partial"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| format!("create {}: {e}", staging.display()))?;
    crate::go_mirror::pip_download(&format!("cyclonedx-python-lib=={WHEEL_VERSION}"), &staging)?;
    let wheel = staging.join(format!(
        "cyclonedx_python_lib-{WHEEL_VERSION}-py3-none-any.whl"
    ));
    let bytes = std::fs::read(&wheel).map_err(|e| format!("read {}: {e}", wheel.display()))?;
    let actual = crate::hex(&Sha256::digest(&bytes));
    if actual != WHEEL_SHA256 {
        return Err(format!(
            "{} has SHA-256 {actual}, not the pinned {WHEEL_SHA256}",
            wheel.display()
        ));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("open {}: {e}", wheel.display()))?;
    for name in SCHEMAS {
        let entry = format!("cyclonedx/schema/_res/{name}");
        let mut contents = String::new();
        zip.by_name(&entry)
            .map_err(|e| format!("{entry} in the wheel: {e}"))?
            .read_to_string(&mut contents)
            .map_err(|e| format!("read {entry}: {e}"))?;
        std::fs::write(staging.join(name), contents).map_err(|e| format!("write {name}: {e}"))?;
    }
    std::fs::remove_file(&wheel).map_err(|e| format!("remove the wheel: {e}"))?;
    std::fs::write(staging.join("complete"), "").map_err(|e| format!("mark complete: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&staging, &dir).map_err(|e| format!("rename {}: {e}", staging.display()))?;
    Ok(dir)
}

/// Resolves the schema's `$ref`s to its neighbours (the SPDX and JSF schemas) from the cache,
/// never from the network.
struct LocalSchemas(PathBuf);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
        if !SCHEMAS.contains(&name) {
            return Err(format!("no local schema for {uri}").into());
        }
        Ok(serde_json::from_slice(&std::fs::read(self.0.join(name))?)?)
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// Validates a `CycloneDX` 1.5 JSON document; the errors name each violation and where it is.
///
/// # Errors
/// When the schema is unavailable or the document breaks it.
pub fn validate(document: &Value) -> Result<(), String> {
    let dir = schemas_dir()?;
    let schema = read_json(&dir.join(SCHEMAS[0]))?;
    let validator = jsonschema::options()
        .with_retriever(LocalSchemas(dir))
        .build(&schema)
        .map_err(|e| format!("compile the CycloneDX schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// The SBOM of a layer of this buildpack in a directory laid out as an image's `/layers`
/// (what `pack sbom download` writes), validated against the `CycloneDX` 1.5 schema.
///
/// # Panics
/// When there is no such SBOM or it breaks the schema (this serves tests).
#[must_use]
pub fn exported_sbom(root: &Path, layer: &str) -> Value {
    let path = root.join(format!("layers/sbom/launch/gocnb_go/{layer}/sbom.cdx.json"));
    let document = read_json(&path).unwrap_or_else(|e| panic!("no SBOM in the image: {e}"));
    if let Err(violations) = validate(&document) {
        panic!("the {layer} SBOM breaks the CycloneDX 1.5 schema:\n{violations}");
    }
    document
}

/// The component named `name` of an SBOM.
///
/// # Panics
/// When there is none (this serves tests).
#[must_use]
pub fn component<'a>(sbom: &'a Value, name: &str) -> &'a Value {
    sbom["components"]
        .as_array()
        .and_then(|components| components.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no component {name} in {sbom:#}"))
}

/// The value of a component's property.
#[must_use]
pub fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component["properties"]
        .as_array()?
        .iter()
        .find(|property| property["name"] == name)?["value"]
        .as_str()
}

/// The SBOM of the binaries lists exactly `names`, each with the SHA-256 and Go build ID of the
/// binary in the image (unpacked at `image`).
///
/// # Panics
/// When it does not (this serves tests).
pub fn assert_sbom_describes_binaries(sbom: &Value, image: &Path, names: &[&str]) {
    let listed: Vec<&str> = sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| {
            c["bom-ref"]
                .as_str()
                .is_some_and(|r| r.starts_with("binary:"))
        })
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(listed, names, "{sbom:#}");
    for name in names {
        let binary = std::fs::read(image.join("layers/gocnb_go/target/bin").join(name))
            .expect("binary in the image");
        let described = component(sbom, name);
        assert_eq!(
            described["hashes"][0]["content"],
            crate::hex(&Sha256::digest(&binary)),
            "{name}"
        );
        let build_id = go_cnb_common::build_info::go_build_id(&binary);
        assert!(build_id.is_some(), "{name} has no Go build ID");
        assert_eq!(property(described, "golang:build-id"), build_id.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_bom_passes_and_a_broken_one_fails() {
        let valid = serde_json::json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "components": [{
                "type": "library",
                "name": "github.com/go-chi/chi/v5",
                "version": "v5.2.3",
                "purl": "pkg:golang/github.com/go-chi/chi/v5@v5.2.3",
                "licenses": [{"license": {"id": "MIT"}}]
            }]
        });
        validate(&valid).expect("valid");
        let mut broken = valid.clone();
        broken["components"][0]["type"] = Value::from("gadget");
        broken["components"][0]["licenses"][0]["license"]["id"] = Value::from("Not-A-License");
        let errors = validate(&broken).expect_err("invalid");
        assert!(errors.contains("/components/0/type"), "{errors}");
        assert!(errors.contains("/components/0/licenses"), "{errors}");
    }
}
