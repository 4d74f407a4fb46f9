// +heroku goVersion go1.25
// +heroku install ./cmd/web ./cmd/worker
module "example.com/app"
go 1.24
toolchain go1.26.3-corp
