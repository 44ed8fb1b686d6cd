//! Masking of person fields (张*明, 4418**********123X, 138****5678).

/// Masks a Chinese name: keeps the first and, for 3+ characters, the last.
///
/// ```
/// use minqing::auth::mask::name;
/// assert_eq!(name("张三明"), "张*明");
/// assert_eq!(name("李四"), "李*");
/// assert_eq!(name("欧阳小明"), "欧**明");
/// ```
pub fn name(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Masks an ID number: first 4 and last 4 characters kept.
///
/// ```
/// assert_eq!(minqing::auth::mask::id_number("44180219800101123X"), "4418**********123X");
/// ```
pub fn id_number(s: &str) -> String {
    keep_ends(s, 4, 4)
}

/// Masks a phone number: first 3 and last 4 digits kept.
///
/// ```
/// assert_eq!(minqing::auth::mask::phone("13812345678"), "138****5678");
/// ```
pub fn phone(s: &str) -> String {
    keep_ends(s, 3, 4)
}

fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Masks an address to its first six characters (street and lane, no number).
pub fn address(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return s.to_owned();
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str("***");
    out
}
