//! Reads one RFC 5424 line back the way a receiver would, for the format
//! and escaping tests.

/// `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID name="value"…] MSG`.
#[derive(Debug)]
pub struct Line<'a> {
    /// PRI, the number between `<` and `>`.
    pub pri: u32,
    /// The six header fields after PRI, VERSION first.
    pub header: Vec<&'a str>,
    /// The one SD element's SD-ID.
    pub sd_id: String,
    /// PARAM-NAME and unescaped PARAM-VALUE, in line order.
    pub params: Vec<(String, String)>,
    /// Everything after the SD element and its space.
    pub msg: &'a str,
}

impl Line<'_> {
    /// The value of the parameter `name`; panics when there is none.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.params))
    }
}

/// Splits `line`, asserting the syntax as it goes. In PARAM-VALUEs only
/// `\"`, `\\` and `\]` are escapes; any other backslash is a backslash, and
/// an unescaped `]` inside a value is an error (RFC 5424, 6.3.3).
pub fn read(line: &[u8]) -> Line<'_> {
    let text = std::str::from_utf8(line).unwrap();
    assert!(text.starts_with('<'), "no PRI in {text:?}");
    let close = text.find('>').unwrap();
    let pri = text[1..close].parse().unwrap();
    let mut rest = &text[close + 1..];
    let mut header = Vec::new();
    for _ in 0..6 {
        let (field, after) = rest.split_once(' ').unwrap();
        header.push(field);
        rest = after;
    }
    let chars: Vec<char> = rest.chars().collect();
    assert_eq!(chars[0], '[', "no SD element in {text:?}");
    let mut i = 1;
    let mut sd_id = String::new();
    while chars[i] != ' ' && chars[i] != ']' {
        sd_id.push(chars[i]);
        i += 1;
    }
    let mut params = Vec::new();
    while chars[i] == ' ' {
        i += 1;
        let mut name = String::new();
        while chars[i] != '=' {
            name.push(chars[i]);
            i += 1;
        }
        assert_eq!(chars[i + 1], '"');
        i += 2;
        let mut value = String::new();
        loop {
            match chars[i] {
                '\\' if matches!(chars[i + 1], '"' | '\\' | ']') => {
                    value.push(chars[i + 1]);
                    i += 2;
                }
                '"' => {
                    i += 1;
                    break;
                }
                ']' => panic!("unescaped ] inside a value in {text:?}"),
                c => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        params.push((name, value));
    }
    assert_eq!(chars[i], ']', "SD element not closed in {text:?}");
    assert_eq!(chars[i + 1], ' ');
    let consumed: usize = chars[..i + 2].iter().map(|c| c.len_utf8()).sum();
    Line {
        pri,
        header,
        sd_id,
        params,
        msg: &rest[consumed..],
    }
}
