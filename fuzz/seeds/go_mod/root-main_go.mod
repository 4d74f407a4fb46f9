module myapp

go 1.25.0
