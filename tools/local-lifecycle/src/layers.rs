//! What the lifecycle does with a buildpack's layers between builds: which layers it restores,
//! how, and what it rejects after a build.

use std::path::Path;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerTypes {
    pub build: bool,
    pub launch: bool,
    pub cache: bool,
}

impl LayerTypes {
    #[must_use]
    pub fn any(self) -> bool {
        self.build || self.launch || self.cache
    }
}

/// A parsed `<layer>.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerToml {
    pub types: LayerTypes,
    pub metadata: Option<toml::Table>,
}

/// Parses `<layer>.toml`, rejecting what the lifecycle rejects for Buildpack API 0.10.
///
/// # Errors
/// On TOML errors, type keys at the top level, or non-boolean types.
pub fn parse_layer_toml(contents: &str, layer: &str) -> Result<LayerToml, String> {
    let table: toml::Table =
        toml::from_str(contents).map_err(|e| format!("{layer}.toml is not valid TOML: {e}"))?;
    for key in ["build", "launch", "cache"] {
        if table.contains_key(key) {
            return Err(format!(
                "{layer}.toml sets `{key}` at the top level; since Buildpack API 0.6 layer types belong in a [types] table"
            ));
        }
    }
    let mut types = LayerTypes::default();
    if let Some(value) = table.get("types") {
        let types_table = value
            .as_table()
            .ok_or_else(|| format!("{layer}.toml: `types` must be a table"))?;
        for (key, value) in types_table {
            let flag = value
                .as_bool()
                .ok_or_else(|| format!("{layer}.toml: types.{key} must be a boolean"))?;
            match key.as_str() {
                "build" => types.build = flag,
                "launch" => types.launch = flag,
                "cache" => types.cache = flag,
                other => return Err(format!("{layer}.toml: unknown layer type `{other}`")),
            }
        }
    }
    let metadata = match table.get("metadata") {
        None => None,
        Some(toml::Value::Table(metadata)) => Some(metadata.clone()),
        Some(_) => return Err(format!("{layer}.toml: `metadata` must be a table")),
    };
    Ok(LayerToml { types, metadata })
}

/// Renders the `<layer>.toml` the lifecycle restores: `[metadata]` only, never `[types]`.
#[must_use]
pub fn restored_layer_toml(layer: &LayerToml) -> String {
    let mut table = toml::Table::new();
    if let Some(metadata) = &layer.metadata {
        table.insert(
            String::from("metadata"),
            toml::Value::Table(metadata.clone()),
        );
    }
    toml::to_string(&table).unwrap_or_default()
}

/// What the restore phase brings back of a layer, by the types it had in the previous build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// cache = true: metadata and contents.
    MetadataAndContents,
    /// launch = true only: metadata (from the previous image), no contents.
    MetadataOnly,
    /// Neither cached nor launched: nothing survives.
    Nothing,
}

#[must_use]
pub fn restore_for(previous: LayerTypes) -> Restore {
    if previous.cache {
        Restore::MetadataAndContents
    } else if previous.launch {
        Restore::MetadataOnly
    } else {
        Restore::Nothing
    }
}

/// Checks a built layer as the exporter does.
///
/// # Errors
/// When a launch+cache layer has no contents directory.
pub fn check_built_layer(name: &str, layer: &LayerToml, layer_dir: &Path) -> Result<(), String> {
    if layer.types.launch && layer.types.cache && !layer_dir.is_dir() {
        return Err(format!(
            "layer `{name}` is launch = true and cache = true but has no contents directory"
        ));
    }
    Ok(())
}

/// Checks `launch.toml`: valid process types, at most one default.
///
/// # Errors
/// With the lifecycle's reason for rejecting the file.
pub fn check_launch_toml(contents: &str) -> Result<Vec<Process>, String> {
    let table: toml::Table =
        toml::from_str(contents).map_err(|e| format!("launch.toml is not valid TOML: {e}"))?;
    let mut processes = Vec::new();
    if let Some(list) = table.get("processes") {
        let list = list
            .as_array()
            .ok_or("launch.toml: processes must be an array")?;
        for entry in list {
            let entry = entry
                .as_table()
                .ok_or("launch.toml: each process must be a table")?;
            let process_type = entry
                .get("type")
                .and_then(toml::Value::as_str)
                .ok_or("launch.toml: a process has no type")?;
            if process_type.is_empty()
                || !process_type
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return Err(format!(
                    "launch.toml: `{process_type}` is not a valid process type ([A-Za-z0-9._-]+)"
                ));
            }
            let command: Vec<String> = match entry.get("command") {
                Some(toml::Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(String::from)
                            .ok_or("launch.toml: command entries must be strings")
                    })
                    .collect::<Result<_, _>>()?,
                _ => {
                    return Err(format!(
                        "launch.toml: process `{process_type}` needs a command array"
                    ))
                }
            };
            if command.is_empty() {
                return Err(format!(
                    "launch.toml: process `{process_type}` has an empty command"
                ));
            }
            let args: Vec<String> = match entry.get("args") {
                Some(toml::Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            };
            processes.push(Process {
                process_type: process_type.to_string(),
                command,
                args,
                default: entry
                    .get("default")
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(false),
                working_dir: entry
                    .get("working-dir")
                    .and_then(toml::Value::as_str)
                    .map(String::from),
            });
        }
    }
    if processes.iter().filter(|p| p.default).count() > 1 {
        return Err(String::from(
            "launch.toml: more than one process has default = true",
        ));
    }
    let mut types: Vec<&str> = processes.iter().map(|p| p.process_type.as_str()).collect();
    types.sort_unstable();
    if types.windows(2).any(|w| w[0] == w[1]) {
        return Err(String::from("launch.toml: a process type is listed twice"));
    }
    Ok(processes)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub process_type: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub default: bool,
    pub working_dir: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(build: bool, launch: bool, cache: bool) -> LayerTypes {
        LayerTypes {
            build,
            launch,
            cache,
        }
    }

    #[test]
    fn restore_table() {
        assert_eq!(
            restore_for(types(true, false, true)),
            Restore::MetadataAndContents
        );
        assert_eq!(
            restore_for(types(false, true, true)),
            Restore::MetadataAndContents
        );
        assert_eq!(
            restore_for(types(false, false, true)),
            Restore::MetadataAndContents
        );
        assert_eq!(
            restore_for(types(false, true, false)),
            Restore::MetadataOnly
        );
        assert_eq!(restore_for(types(true, true, false)), Restore::MetadataOnly);
        assert_eq!(restore_for(types(true, false, false)), Restore::Nothing);
        assert_eq!(restore_for(types(false, false, false)), Restore::Nothing);
    }

    #[test]
    fn restored_toml_keeps_metadata_and_drops_types() {
        let layer = parse_layer_toml(
            "[types]\nbuild = true\ncache = true\n\n[metadata]\nversion = \"1.26.6\"\n",
            "go-dist",
        )
        .expect("parses");
        assert_eq!(layer.types, types(true, false, true));
        let restored = restored_layer_toml(&layer);
        assert!(!restored.contains("types"), "{restored}");
        assert_eq!(
            parse_layer_toml(&restored, "go-dist")
                .expect("parses")
                .metadata,
            layer.metadata
        );
    }

    #[test]
    fn rejects_top_level_types() {
        let error = parse_layer_toml("launch = true\n", "target").expect_err("rejected");
        assert!(error.contains("[types] table"), "{error}");
    }

    #[test]
    fn rejects_launch_cache_layer_without_contents() {
        let layer =
            parse_layer_toml("[types]\nlaunch = true\ncache = true\n", "x").expect("parses");
        assert!(check_built_layer("x", &layer, Path::new("/nonexistent/layer")).is_err());
        let layer = parse_layer_toml("[types]\nlaunch = true\n", "x").expect("parses");
        assert!(check_built_layer("x", &layer, Path::new("/nonexistent/layer")).is_ok());
    }

    #[test]
    fn launch_toml_rules() {
        let ok = check_launch_toml(
            "[[processes]]\ntype = \"web\"\ncommand = [\"/layers/x/bin/web\"]\ndefault = true\n\n[[processes]]\ntype = \"worker\"\ncommand = [\"worker\"]\nargs = [\"--once\"]\n",
        )
        .expect("valid");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].args, vec!["--once"]);
        let two_defaults = "[[processes]]\ntype = \"a\"\ncommand = [\"a\"]\ndefault = true\n[[processes]]\ntype = \"b\"\ncommand = [\"b\"]\ndefault = true\n";
        assert!(check_launch_toml(two_defaults)
            .expect_err("rejected")
            .contains("more than one"));
        let bad_type = "[[processes]]\ntype = \"web server\"\ncommand = [\"a\"]\n";
        assert!(check_launch_toml(bad_type)
            .expect_err("rejected")
            .contains("not a valid process type"));
    }
}
