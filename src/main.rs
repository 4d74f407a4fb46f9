//! A Cloud Native Buildpack for Go modules.

mod bindings;
mod build_flags;
mod build_inputs;
mod buildpack;
mod config;
mod download;
mod errors;
mod file_times;
mod git_credentials;
mod go_archive;
mod go_failure;
mod go_packages;
mod go_platform_files;
mod go_settings;
mod go_tools;
mod go_watchdog;
mod go_work;
mod image_labels;
mod inventory;
mod keep_files;
mod layers;
mod linker;
mod netrc;
mod peer_variables;
mod private_credentials;
mod processes;
mod sbom;
mod sizes;
mod truncate;

use crate::buildpack::{GoBuildpack, GoBuildpackError};
use crate::config::Config;
use crate::layers::{go_build_cache, go_dist, go_modules, gopath, target};
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::build_plan::BuildPlanBuilder;
use libcnb::data::layer_name;
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
use libcnb::{Buildpack, Env};

impl Buildpack for GoBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = GoBuildpackError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        // Only a go.mod at the root makes a Go module app; nested ones belong to other tools.
        if context.app_dir.join("go.mod").is_file() {
            DetectResultBuilder::pass()
                .build_plan(
                    BuildPlanBuilder::new()
                        .provides("go")
                        .requires("go")
                        .build(),
                )
                .build()
        } else {
            println!(
                "No go.mod at the root of the app. This buildpack builds Go modules: run `go mod init <module path>` in the app's root directory and commit go.mod and go.sum."
            );
            DetectResultBuilder::fail().build()
        }
    }

    // The steps of the build, in order, one a line: split up, the order would be harder to see.
    #[allow(clippy::too_many_lines)]
    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        let started = print::buildpack("Go");
        let app_dir = &context.app_dir;

        // Everything about the app is read first, so that a bad request fails before any download.
        let (env, peer_variables) =
            peer_variables::apply(&Env::from_current()).map_err(GoBuildpackError::PeerVariable)?;
        peer_variables::describe(&peer_variables);
        let config = Config::from_env(&env).map_err(GoBuildpackError::Config)?;
        let go_mod =
            go_cnb_common::go_mod::read_go_mod(app_dir).map_err(GoBuildpackError::GoMod)?;
        let workspace = go_work::read_workspace(app_dir, &env).map_err(GoBuildpackError::GoMod)?;
        let (patterns, package_source) = go_packages::package_patterns(
            &config.install_package_spec,
            &go_mod.heroku_install,
            workspace.go_work(),
        )
        .map_err(GoBuildpackError::PackagePattern)?;
        let build_flags = build_flags::BuildFlags::from_env(&env, config.linker.as_ref())
            .map_err(GoBuildpackError::BuildFlags)?;
        let later_buildpack_requires_go = context
            .buildpack_plan
            .entries
            .iter()
            .filter(|entry| entry.name == "go")
            .count()
            > 1;
        let left_out_tools =
            go_tools::left_out_tools(&build_flags.goflags, app_dir, later_buildpack_requires_go);
        let procfile = processes::read_procfile(app_dir).map_err(GoBuildpackError::Procfile)?;
        let labels = image_labels::source_labels(app_dir, &env);
        let vendored = app_dir.join("vendor").join("modules.txt").is_file();
        let settings = go_settings::GoSettings::from_env(&env, app_dir, vendored);
        let netrc_sources = netrc::find_sources(&env).map_err(GoBuildpackError::Netrc)?;
        let git_credentials =
            git_credentials::find_sources(&env).map_err(GoBuildpackError::GitCredentials)?;
        let gopath_source = (config.setup_gopath_in_image)
            .then(|| gopath::source_path(&go_mod.module_path))
            .transpose()?;
        let arch = inventory::parse_target_arch(&context.target.arch)
            .map_err(GoBuildpackError::Resolve)?;
        let (inventory, inventory_location) =
            inventory::load_inventory(config.inventory.as_deref(), &config.download_policy)
                .map_err(GoBuildpackError::Inventory)?;
        let request =
            inventory::version_request(&go_mod, workspace.go_work(), config.go_version.as_ref());
        let artifact = inventory::resolve_release(&inventory, &inventory_location, &request, arch)
            .map_err(GoBuildpackError::Resolve)?;
        print::bullet("Go version");
        print_version_choice(&request, artifact, &inventory_location);
        print::bullet("Go settings");
        settings.print();
        // Dropped when build() returns, which removes the credentials (also on failure).
        let credential_files =
            write_private_module_credentials(&netrc_sources, &git_credentials, &env)
                .map_err(GoBuildpackError::CredentialsWrite)?;
        let mut go_env = settings.command_env(&env, &config, credential_files.as_ref());

        // Only a build whose image and later buildpacks need nothing but the binaries can stop
        // here when nothing changed.
        let wanted_target = target::TargetMetadata::for_build(artifact, arch);
        let inputs = build_inputs::digest(
            app_dir,
            env.iter()
                .map(|(name, value)| (name.as_os_str(), value.as_os_str())),
            &format!("{} {}", artifact.version, wanted_target.arch),
            &context.target,
        )
        .unwrap_or_default();
        let unchanged = (!later_buildpack_requires_go
            && !config.install_tools_in_image
            && gopath_source.is_none())
        .then(|| target::unchanged_last_build(&context.layers_dir, &wanted_target, &inputs))
        .flatten();

        let go_dist_metadata = go_dist::GoDistMetadata::for_artifact(
            artifact,
            config.install_tools_in_image,
            left_out_tools,
            later_buildpack_requires_go
                || go_platform_files::builds_for_another_platform(
                    &env,
                    &artifact.os.to_string(),
                    &artifact.arch.to_string(),
                ),
        );
        let (target, built, module_cache, upkeep) = if let Some(last) = unchanged {
            print::bullet("Binaries");
            print::sub_bullet(format!(
                "Nothing changed since the last build (the app's files, Go {}, the environment, the buildpack): keeping its binaries, without unpacking the toolchain or running go",
                artifact.version
            ));
            layers::keep_unopened(&context, layer_name!("go-dist"), &go_dist_metadata)?;
            let modules_metadata = go_modules::GoModulesMetadata::current();
            layers::keep_unopened(&context, layer_name!("go-modules"), &modules_metadata)?;
            let build_cache_metadata =
                go_build_cache::GoBuildCacheMetadata::for_build(artifact, arch, &context.target);
            layers::keep_unopened(
                &context,
                layer_name!("go-build-cache"),
                &build_cache_metadata,
            )?;
            let target = target::prepare_target(&context, &mut go_env, &wanted_target, true)?;
            (
                target,
                Built {
                    programs: last.programs,
                    tools: last.tools,
                },
                None,
                None,
            )
        } else {
            print::bullet("Go toolchain");
            go_dist::install_go_dist(
                &context,
                &mut go_env,
                artifact,
                config.dist_mirror.as_deref(),
                &config.download_policy,
                &go_dist_metadata,
            )?;
            // A Go workspace with the toolchain in the image gets the module cache too.
            let module_cache_in_image = gopath_source.is_some() && config.install_tools_in_image;
            let module_cache = if vendored {
                None
            } else {
                print::bullet("Go modules");
                Some(go_modules::prepare_go_modules(
                    &context,
                    &mut go_env,
                    module_cache_in_image,
                )?)
            };
            print::bullet("Go build cache");
            let build_cache = go_build_cache::prepare_go_build_cache(
                &context,
                &mut go_env,
                &go_build_cache::GoBuildCacheMetadata::for_build(artifact, arch, &context.target),
            )?;
            print::bullet("Binaries");
            let target = target::prepare_target(&context, &mut go_env, &wanted_target, false)?;

            print::bullet("Go packages");
            let plan = BuildPlan {
                workspace: &workspace,
                patterns: &patterns,
                package_source,
                flags: &build_flags,
                linker: config.linker.as_ref(),
                vendored,
                // In workspace mode the `tool` lines of every used module count.
                module_tools: config.install_module_tools
                    && (!go_mod.tools.is_empty() || workspace.go_work().is_some()),
                stall_timeout: config.download_policy.go_stall_timeout,
            };
            if config.install_module_tools && !plan.module_tools {
                print::sub_bullet(
                    "GO_INSTALL_MODULE_TOOLS is set, but go.mod has no `tool` lines: there are no tools to build",
                );
            }
            let built = compile_healing_module_cache(&go_env, app_dir, &plan)
                .map_err(GoBuildpackError::GoCommand)?;
            let module_cache_for_image = module_cache
                .as_ref()
                .filter(|_| module_cache_in_image)
                .map(|cache| cache.gopath.clone());
            let upkeep = CacheUpkeep {
                build_cache,
                module_cache,
                patterns: plan.all_patterns(),
            };
            (target, built, module_cache_for_image, Some(upkeep))
        };
        let in_image: Vec<String> = built.programs.iter().chain(&built.tools).cloned().collect();
        target::remove_stale_binaries(&target.gobin, &in_image)?;
        target.write_binaries_sbom(&go_mod.module_path, &in_image)?;
        if let Some(upkeep) = upkeep {
            upkeep.run(&go_env, app_dir);
        }
        target.record_build(&target::TargetMetadata {
            inputs,
            programs: built.programs.clone(),
            tools: built.tools.clone(),
            ..wanted_target
        })?;
        if gopath_source.is_some() {
            print::bullet("Go workspace in the image");
        }
        let working_dir = gopath_source
            .map(|source| {
                gopath::prepare_gopath(
                    &context,
                    &source,
                    module_cache.as_deref(),
                    config.install_tools_in_image,
                )
            })
            .transpose()?;

        print::bullet("Processes");
        let plan = processes::plan_processes(
            &built.programs,
            &target.gobin,
            working_dir.as_deref(),
            &procfile,
        );
        processes::describe_processes(&plan, &procfile);
        target.write_memlimit_program(config.memlimit_from_cgroup)?;
        image_labels::describe(&labels);

        if let Some(keep_files) = &config.keep_files {
            print::bullet("App directory");
            keep_files
                .clear_app_dir(app_dir)
                .map_err(GoBuildpackError::KeepFiles)?;
        }
        let mut launch = processes::launch(plan);
        launch.labels = image_labels::launch_labels(labels).collect();

        print::all_done(&Some(started));
        BuildResultBuilder::new().launch(launch).build()
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        print::error(errors::error_message(&error));
    }
}

fn print_version_choice(
    request: &inventory::VersionRequest,
    artifact: &inventory::GoArtifact,
    location: &inventory::InventoryLocation,
) {
    if request.source == inventory::VersionSource::NoRequest {
        print::sub_bullet(
            "No version requested (go.mod has no `go` line): using the newest release",
        );
    } else {
        print::sub_bullet(format!(
            "Requested {} (from {})",
            style::value(truncate::for_display(&request.written)),
            request.source
        ));
    }
    print::sub_bullet(format!(
        "Resolved Go {} for {}/{}{}",
        style::value(artifact.version.to_string()),
        artifact.os,
        artifact.arch,
        match location {
            inventory::InventoryLocation::BuiltIn => String::new(),
            configured @ inventory::InventoryLocation::Configured(_) =>
                format!(" from {configured}"),
        }
    ));
}

/// Writes the credentials the build was given (if any) and says where they came from, never
/// what they hold.
fn write_private_module_credentials(
    netrc_sources: &[netrc::NetrcSource],
    git_credentials: &[git_credentials::GitCredentialSource],
    env: &Env,
) -> std::io::Result<Option<private_credentials::CredentialFiles>> {
    if netrc_sources.is_empty() && git_credentials.is_empty() {
        return Ok(None);
    }
    print::bullet("Private module credentials");
    for source in netrc_sources {
        print::sub_bullet(format!(
            "A netrc from {} for {}",
            source.name,
            truncate::for_display(&source.machines().join(", "))
        ));
    }
    for source in git_credentials {
        print::sub_bullet(format!(
            "Git credentials from {} for {}",
            source.name,
            truncate::for_display(&source.scope)
        ));
    }
    let files = private_credentials::CredentialFiles::write(netrc_sources, git_credentials)?;
    if !netrc_sources.is_empty() {
        print::sub_bullet(
            "The go commands read it through NETRC, from a file outside the layers that is removed when the build ends",
        );
    }
    if !git_credentials.is_empty() {
        print::sub_bullet(
            "git reads the git credentials through a credential helper (GIT_CONFIG_GLOBAL), from files outside the layers that are removed when the build ends",
        );
        print::sub_bullet(if env.get("GOAUTH").is_none() {
            "Module servers that ask for credentials get them from git too (GOAUTH=netrc;git)"
        } else {
            "GOAUTH is the app's own: module servers get the git credentials only through a `git <dir>` method in it"
        });
    }
    Ok(files)
}

/// What to compile, decided before any download.
struct BuildPlan<'a> {
    workspace: &'a go_work::WorkspaceMode,
    patterns: &'a [String],
    package_source: go_packages::PackageSource,
    flags: &'a build_flags::BuildFlags,
    linker: Option<&'a linker::LinkerDefinition>,
    vendored: bool,
    /// `GO_INSTALL_MODULE_TOOLS`: the tools of go.mod's `tool` lines are built too.
    module_tools: bool,
    stall_timeout: std::time::Duration,
}

impl BuildPlan<'_> {
    /// Every pattern built: the packages, and `tool` (the go command's pattern for the module's
    /// tools) when they are built too.
    fn all_patterns(&self) -> Vec<String> {
        let mut patterns = self.patterns.to_vec();
        if self.module_tools {
            patterns.push(String::from(MODULE_TOOLS_PATTERN));
        }
        patterns
    }
}

/// The go command's pattern for the packages of go.mod's `tool` lines (Go 1.24+).
const MODULE_TOOLS_PATTERN: &str = "tool";

/// What a build that compiled leaves tidy in the caches for the next one.
struct CacheUpkeep {
    build_cache: go_build_cache::BuildCache,
    module_cache: Option<go_modules::ModuleCache>,
    patterns: Vec<String>,
}

impl CacheUpkeep {
    fn run(&self, env: &Env, app_dir: &std::path::Path) {
        go_build_cache::archive_used_entries(&self.build_cache);
        if let Some(module_cache) = &self.module_cache {
            go_modules::prune_unrequired_modules(
                env,
                app_dir,
                &self.patterns,
                &module_cache.gopath,
            );
            go_modules::archive_if_changed(module_cache);
        }
    }
}

/// The binaries of a build: the programs (each a process) and the module's tools (on PATH only).
struct Built {
    programs: Vec<String>,
    tools: Vec<String>,
}

fn compile(
    env: &Env,
    app_dir: &std::path::Path,
    plan: &BuildPlan<'_>,
) -> Result<Built, go_packages::GoCommandError> {
    match plan.workspace {
        go_work::WorkspaceMode::On(work) => print::sub_bullet(format!(
            "Workspace mode ({}): building the modules it uses together: {}",
            work.path.display(),
            truncate::for_display(&work.uses.join(", "))
        )),
        go_work::WorkspaceMode::TurnedOff => {
            print::sub_bullet("GOWORK=off: go.work is ignored, the module is built alone");
        }
        go_work::WorkspaceMode::Absent => {}
    }
    if plan.vendored {
        print::sub_bullet("Using the vendored modules in vendor/ (vendor/modules.txt)");
    }
    print::sub_bullet(format!(
        "Building {} (from {})",
        style::value(truncate::for_display(&plan.patterns.join(" "))),
        plan.package_source
    ));
    plan.flags.describe();
    go_packages::install_packages(
        env,
        app_dir,
        plan.patterns,
        plan.flags,
        plan.linker,
        plan.stall_timeout,
    )?;
    let programs =
        go_packages::list_main_packages(env, app_dir, plan.patterns, plan.package_source)?;
    let tools = if plan.module_tools {
        print::sub_bullet(
            "Building the tools of go.mod's `tool` lines (GO_INSTALL_MODULE_TOOLS): on PATH in the image, not processes",
        );
        let tools_pattern = [String::from(MODULE_TOOLS_PATTERN)];
        go_packages::install_packages(
            env,
            app_dir,
            &tools_pattern,
            plan.flags,
            plan.linker,
            plan.stall_timeout,
        )?;
        go_packages::list_main_packages(
            env,
            app_dir,
            &tools_pattern,
            go_packages::PackageSource::ModuleTools,
        )?
    } else {
        Vec::new()
    };
    let binaries = |packages: Vec<go_packages::MainPackage>| -> Vec<String> {
        packages.into_iter().map(|p| p.binary).collect()
    };
    Ok(Built {
        programs: binaries(programs),
        tools: binaries(tools),
    })
}

/// Compiles; when the go command fails on a file of the module cache and `go mod verify` finds
/// the cache corrupted, discards it and compiles once more (so a damaged cache heals in the
/// same build instead of failing every build).
fn compile_healing_module_cache(
    env: &Env,
    app_dir: &std::path::Path,
    plan: &BuildPlan<'_>,
) -> Result<Built, go_packages::GoCommandError> {
    match compile(env, app_dir, plan) {
        Err(error) if !plan.vendored && go_modules::points_at_module_cache(&error, env) => {
            if go_modules::discard_if_corrupted(env, app_dir)? {
                compile(env, app_dir, plan)
            } else {
                Err(error)
            }
        }
        result => result,
    }
}

fn main() {
    // The go command runs the buildpack as its -toolexec for linker values -ldflags cannot carry.
    if let Some(definition) = linker::toolexec_definition() {
        std::process::exit(linker::run_as_toolexec(&definition));
    }
    libcnb::libcnb_runtime(&GoBuildpack);
}
