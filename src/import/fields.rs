//! Which source column feeds which of our fields. Columns named like our
//! fields (the names our exports write) map themselves, and so do the usual
//! Chinese headers of registers (名称, 编码, 类型, 风险等级, 经度, 纬度, 容纳人数, …).
//! A `--mapping` JSON object `{"source column": "our field"}` overrides both.

use std::collections::HashMap;

use super::read::RawRow;
use super::{Layer, Warning};

/// One of our fields with the headers that mean it.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// Our field name (as in exports and the API).
    pub name: &'static str,
    /// Other headers that map to it (compared case-insensitively).
    pub aliases: &'static [&'static str],
}

const fn f(name: &'static str, aliases: &'static [&'static str]) -> FieldDef {
    FieldDef { name, aliases }
}

/// Location columns, for every layer (CSV; GeoJSON and Shapefile carry geometry).
const LOCATION: [FieldDef; 3] = [
    f("lon", &["经度", "lng", "long", "longitude", "x"]),
    f("lat", &["纬度", "latitude", "y"]),
    f(
        "wkt",
        &["geometry", "geom", "the_geom", "shape", "几何", "边界"],
    ),
];

const GRID: FieldDef = f("grid", &["网格", "所属网格", "网格编码"]);

const GRIDS: &[FieldDef] = &[
    f(
        "code",
        &["编码", "代码", "区划代码", "网格编码", "网格代码", "id"],
    ),
    f("name", &["名称", "网格名称", "区划名称"]),
    f("level", &["级别", "层级"]),
    f("parent", &["上级", "上级编码", "上级代码"]),
    f("head", &["网格长", "网格员", "负责人"]),
    f("head_phone", &["网格长电话", "电话", "联系电话", "手机"]),
    f("households", &["户数", "总户数"]),
    f("residents", &["人口", "人数", "常住人口"]),
];

const HAZARDS: &[FieldDef] = &[
    f("id", &["编号", "隐患点编号", "统一编号", "code", "编码"]),
    f("name", &["名称", "隐患点名称"]),
    f("kind", &["类型", "灾害类型", "灾种", "隐患类型"]),
    f("risk", &["风险等级", "险情等级", "等级"]),
    f("threatened_households", &["威胁户数"]),
    f("threatened_persons", &["威胁人数", "威胁人口"]),
    f("monitor", &["监测责任人", "监测人", "群测群防员"]),
    f("monitor_phone", &["监测人电话", "监测责任人电话"]),
    f("leader", &["行政责任人", "挂点领导", "责任领导"]),
    f("leader_phone", &["行政责任人电话", "挂点领导电话"]),
    f("shelter", &["安置点", "避险安置点", "安置点编号"]),
    f("status", &["状态"]),
    GRID,
];

const SHELTERS: &[FieldDef] = &[
    f("id", &["编号", "code", "编码"]),
    f("name", &["名称", "安置点名称", "场所名称"]),
    f("capacity", &["容纳人数", "可容纳人数", "容量"]),
    f("address", &["地址"]),
    GRID,
];

const PLACES: &[FieldDef] = &[
    f("id", &["编号", "code", "编码"]),
    f("name", &["名称", "场所名称"]),
    f("kind", &["类型", "类别", "场所类型"]),
    f(
        "visit_every_hours",
        &["巡查频次", "巡查间隔", "巡查间隔小时"],
    ),
    f("radius_m", &["半径", "到访半径"]),
    GRID,
];

const PEOPLE: &[FieldDef] = &[
    f("id", &["编号"]),
    f(
        "category",
        &["类别", "人员类别", "人群类别", "category_code"],
    ),
    f("name", &["姓名", "名称"]),
    f("id_number", &["身份证号", "身份证号码", "公民身份号码"]),
    f("phone", &["电话", "手机", "手机号", "联系电话"]),
    f("address", &["住址", "地址", "居住地址"]),
    f("risk_level", &["风险等级", "危险性评估等级"]),
    f("next_visit", &["下次走访日期", "下次走访"]),
    GRID,
];

const INCIDENTS: &[FieldDef] = &[
    f("id", &["编号", "事件编号"]),
    f("category_code", &[]),
    f("category", &["类别", "事件类别", "类型"]),
    f("source", &["来源", "事件来源"]),
    f("description", &["描述", "事件描述", "内容", "诉求内容"]),
    f("status", &["状态"]),
    f("reported_at", &["上报时间", "发生时间", "受理时间"]),
    f("deadline", &["办理时限", "期限", "截止时间"]),
    GRID,
];

/// Columns our own exports write that are derived, not imported (no warning).
fn derived(layer: Layer) -> &'static [&'static str] {
    match layer {
        Layer::Grids => &["id", "level_zh", "label_lon", "label_lat"],
        Layer::People => &["category_code", "masked"],
        Layer::Incidents => &["overdue", "version", "queue"],
        _ => &[],
    }
}

/// The fields of a layer (without the location columns).
pub fn fields(layer: Layer) -> &'static [FieldDef] {
    match layer {
        Layer::Grids => GRIDS,
        Layer::Hazards => HAZARDS,
        Layer::Shelters => SHELTERS,
        Layer::Places => PLACES,
        Layer::People => PEOPLE,
        Layer::Incidents => INCIDENTS,
    }
}

fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '\u{3000}'], "")
}

/// Resolved mapping from our fields to column positions.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    by_field: HashMap<&'static str, usize>,
    /// values for the whole file (`--default FIELD=VALUE`)
    defaults: HashMap<&'static str, String>,
}

impl Mapping {
    /// Resolves the columns of a file for `layer`. `user` maps source columns to
    /// our fields and wins over names and aliases. Unknown targets or missing
    /// source columns in `user` are errors; unused columns are warnings.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use minqing::import::{Layer, fields::Mapping};
    /// let cols: Vec<String> = ["名称", "容纳人数", "经度", "纬度", "编号", "备注"].map(String::from).to_vec();
    /// let (m, warnings) = Mapping::resolve(Layer::Shelters, &cols, &HashMap::new()).unwrap();
    /// assert_eq!(m.column("capacity"), Some(1));
    /// assert_eq!(m.column("lon"), Some(2));
    /// assert_eq!(warnings.len(), 1, "备注 is not used: {warnings:?}");
    /// ```
    pub fn resolve(
        layer: Layer,
        columns: &[String],
        user: &HashMap<String, String>,
    ) -> Result<(Mapping, Vec<Warning>), String> {
        let defs: Vec<&FieldDef> = fields(layer).iter().chain(LOCATION.iter()).collect();
        let mut by_field: HashMap<&'static str, usize> = HashMap::new();
        let mut used = vec![false; columns.len()];
        let mut warnings = Vec::new();
        for (src, target) in user {
            let col = columns.iter().position(|c| c == src).ok_or_else(|| {
                format!(
                    "the mapping names column {src:?}, which the file does not have (columns: {})",
                    columns.join(", ")
                )
            })?;
            if target.is_empty() {
                used[col] = true;
                continue;
            }
            let def = defs.iter().find(|d| d.name == target).ok_or_else(|| {
                format!(
                    "the mapping sends {src:?} to {target:?}, which is not a field of {} (fields: {})",
                    layer.as_str(),
                    defs.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
                )
            })?;
            by_field.insert(def.name, col);
            used[col] = true;
        }
        // Exact names first, then aliases, so `code` beats an `id` alias.
        for exact in [true, false] {
            for (i, c) in columns.iter().enumerate() {
                if used[i] {
                    continue;
                }
                let n = norm(c);
                let hit = defs.iter().find(|d| {
                    if exact {
                        d.name == n
                    } else {
                        d.aliases.iter().any(|a| norm(a) == n)
                    }
                });
                if let Some(d) = hit {
                    if by_field.contains_key(d.name) {
                        continue;
                    }
                    by_field.insert(d.name, i);
                    used[i] = true;
                }
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if !used[i] && !derived(layer).contains(&norm(c).as_str()) {
                warnings.push(Warning {
                    line: 0,
                    text: format!(
                        "column {c:?} is not used (map it with --mapping '{{\"{c}\": \"field\"}}' if it should be)"
                    ),
                });
            }
        }
        Ok((
            Mapping {
                by_field,
                defaults: HashMap::new(),
            },
            warnings,
        ))
    }

    /// Adds values for the whole file (`--default risk=黄`): used where a row
    /// leaves the field empty or no column gives it. Ids and codes cannot have
    /// one (every record would collide).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use minqing::import::{Layer, fields::Mapping};
    /// let cols: Vec<String> = ["名称", "经度", "纬度"].map(String::from).to_vec();
    /// let (m, _) = Mapping::resolve(Layer::Hazards, &cols, &HashMap::new()).unwrap();
    /// let d = HashMap::from([("risk".to_string(), "黄".to_string())]);
    /// assert!(m.clone().with_defaults(Layer::Hazards, &d).is_ok());
    /// let bad = HashMap::from([("colour".to_string(), "黄".to_string())]);
    /// assert!(m.with_defaults(Layer::Hazards, &bad).unwrap_err().contains("colour"));
    /// ```
    pub fn with_defaults(
        mut self,
        layer: Layer,
        defaults: &HashMap<String, String>,
    ) -> Result<Mapping, String> {
        let defs: Vec<&FieldDef> = fields(layer).iter().chain(LOCATION.iter()).collect();
        for (field, value) in defaults {
            let def = defs.iter().find(|d| d.name == field).ok_or_else(|| {
                format!(
                    "the default names {field:?}, which is not a field of {} (fields: {})",
                    layer.as_str(),
                    defs.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
                )
            })?;
            if matches!(def.name, "id" | "code") {
                return Err(format!(
                    "{field} cannot have a default: every record needs its own"
                ));
            }
            self.defaults.insert(def.name, value.trim().to_owned());
        }
        Ok(self)
    }

    /// The mapping as `(source column, our field)` pairs in column order, for
    /// showing the automatic choice; defaults appear as `(= value, field)`.
    pub fn pairs(&self, columns: &[String]) -> Vec<(String, String)> {
        let mut by_col: Vec<(usize, &str)> = self.by_field.iter().map(|(f, &c)| (c, *f)).collect();
        by_col.sort_unstable();
        let mut out: Vec<(String, String)> = by_col
            .into_iter()
            .filter_map(|(c, f)| Some((columns.get(c)?.clone(), f.to_owned())))
            .collect();
        let mut defaults: Vec<(&&str, &String)> = self.defaults.iter().collect();
        defaults.sort_unstable();
        out.extend(
            defaults
                .into_iter()
                .map(|(f, v)| (format!("= {v}"), (*f).to_owned())),
        );
        out
    }

    /// The column position feeding `field`.
    pub fn column(&self, field: &str) -> Option<usize> {
        self.by_field.get(field).copied()
    }

    /// True when a column or a default gives `field`.
    pub fn gives(&self, field: &str) -> bool {
        self.by_field.contains_key(field) || self.defaults.contains_key(field)
    }

    /// The row's non-empty value for `field`, or the file's default.
    pub fn get<'a>(&'a self, row: &'a RawRow, field: &str) -> Option<&'a str> {
        self.column(field)
            .and_then(|i| row.values.get(i))
            .filter(|v| !v.is_empty())
            .or_else(|| {
                self.defaults
                    .get(field)
                    .map(String::as_str)
                    .filter(|v| !v.is_empty())
            })
    }
}
