// +heroku goVersion 1.25.4
module example.test/versionorder

go 1.25.0

toolchain go1.26.0
