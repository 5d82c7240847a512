//! `*` wildcard matching, as AWS Backup selections (`Resources`, `StringLike`) and Phoenix
//! Guard's own suppression lists use it: `*` matches any run of characters, everything else
//! matches itself.

/// Whether `text` matches `pattern` in full. Runs in O(len(pattern) × len(text)) at worst,
/// without recursion, so hostile patterns cannot blow the stack.
pub fn glob_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and where in the text it started matching.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && same(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((star_pi, star_ti)) = star {
            pi = star_pi + 1;
            ti = star_ti + 1;
            star = Some((star_pi, star_ti + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn wildcards_and_case() {
        assert!(glob_match("*", "", false));
        assert!(glob_match(
            "arn:aws:elasticfilesystem:*",
            "arn:aws:elasticfilesystem:eu-west-1:1:fs-1",
            false
        ));
        assert!(glob_match("*file*system*", "a file system", false));
        assert!(!glob_match(
            "arn:aws:rds:*",
            "arn:aws:elasticfilesystem:x",
            false
        ));
        assert!(!glob_match("abc", "ABC", false));
        assert!(glob_match("abc", "ABC", true));
        assert!(!glob_match("a*c", "abcd", false));
        assert!(glob_match("a**c*", "abcd", false));
    }
}
