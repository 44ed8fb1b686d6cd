//! Synthetic Chinese names, phone numbers and ID numbers. Every value is made
//! up; ID numbers get a valid GB 11643 check digit, so they must be masked
//! like real ones anyway.

use rand::Rng;

const SURNAMES: &[&str] = &[
    "陈", "李", "黄", "张", "梁", "刘", "林", "何", "罗", "邓", "冯", "叶", "朱", "周", "吴", "谢",
    "曾", "郑", "蔡", "潘", "杨", "钟", "苏", "卢", "赖", "莫", "王", "许", "彭", "严",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "志", "文", "海", "燕", "红", "玲", "婷",
    "浩", "宇", "嘉", "俊", "欣", "怡", "晓", "振", "锦", "荣", "斌", "辉", "清", "远",
];

/// A random two- or three-character name.
pub fn name<R: Rng>(rng: &mut R) -> String {
    let mut s = String::from(SURNAMES[rng.random_range(0..SURNAMES.len())]);
    for _ in 0..rng.random_range(1..=2) {
        s.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    s
}

/// A random mainland mobile number.
pub fn phone<R: Rng>(rng: &mut R) -> String {
    const PREFIX: &[&str] = &[
        "135", "136", "137", "138", "139", "150", "158", "186", "188", "189", "133", "177",
    ];
    format!(
        "{}{:08}",
        PREFIX[rng.random_range(0..PREFIX.len())],
        rng.random_range(0..100_000_000u32)
    )
}

/// The GB 11643 check character for the first 17 digits.
///
/// ```
/// assert_eq!(minqing::demo::names::id_check("11010519491231002"), 'X');
/// ```
pub fn id_check(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = first17
        .bytes()
        .zip(W)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    b"10X98765432"[(s % 11) as usize] as char
}

/// A synthetic 18-character ID number registered in `area6` (e.g. 441802).
pub fn id_number<R: Rng>(rng: &mut R, area6: &str, birth_year: i32) -> String {
    let first17 = format!(
        "{area6}{birth_year:04}{:02}{:02}{:03}",
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..1000)
    );
    let c = id_check(&first17);
    format!("{first17}{c}")
}
