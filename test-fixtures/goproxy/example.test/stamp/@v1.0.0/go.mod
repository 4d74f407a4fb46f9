module example.test/stamp

go 1.22
