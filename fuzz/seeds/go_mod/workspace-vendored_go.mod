module example.test/web

go 1.25.0
