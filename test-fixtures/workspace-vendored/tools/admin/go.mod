module example.test/admin

go 1.25.0

require example.test/greeting v1.1.0
