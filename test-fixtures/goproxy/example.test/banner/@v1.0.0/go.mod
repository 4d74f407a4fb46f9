module example.test/banner

go 1.21

require example.test/greeting v1.0.0
