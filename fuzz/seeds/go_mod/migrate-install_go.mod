// +heroku install ./cmd/web github.com/golang-migrate/migrate/v4/cmd/migrate
module example.com/migrateinstall

go 1.26.0

require github.com/golang-migrate/migrate/v4 v4.19.0
