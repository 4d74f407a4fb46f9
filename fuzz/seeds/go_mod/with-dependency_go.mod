module example.test/withdep

go 1.26.0

require example.test/banner v1.0.0

require example.test/greeting v1.1.0 // indirect
