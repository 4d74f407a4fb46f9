//! Reading netrc text (credentials for private module servers) only as far as the buildpack
//! needs: which hosts it has entries for. Logins and passwords are never read out of it.

/// The hosts the entries of `text` are for (`default` for the catch-all), in order.
#[must_use]
pub fn machines(text: &str) -> Vec<String> {
    let mut tokens = text.split_whitespace();
    let mut machines = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            "machine" => {
                if let Some(host) = tokens.next() {
                    machines.push(host.to_string());
                }
            }
            "default" => machines.push(String::from("default")),
            // Skip the value of a key so that a password spelled `machine` or `default` is
            // never taken for a host.
            "login" | "password" | "account" | "port" => {
                tokens.next();
            }
            _ => {}
        }
    }
    machines
}

#[cfg(test)]
mod tests {
    use super::machines;

    #[test]
    fn hosts_in_order_with_default_and_never_a_secret() {
        assert_eq!(
            machines("machine a.example login u password p\ndefault login x password machine"),
            ["a.example", "default"]
        );
        assert_eq!(machines("machine\n"), Vec::<String>::new());
        assert_eq!(
            machines("login default password default"),
            Vec::<String>::new()
        );
    }
}
