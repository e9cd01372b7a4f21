//! The renderer-neutral description of a chart: what the data query returned,
//! ordered and labelled. [`super::echarts`] turns a [`Figure`] into an
//! interactive ECharts option, [`super::png`] into a PNG, so both come from
//! the same rows.

use chrono::NaiveDate;

/// How a value is shown: axis labels, tooltips and PNG ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number of users, workspaces, ...
    Count,
    /// A fraction in [0, 1] shown as a percentage.
    Percent,
    /// US dollars.
    Usd,
}

impl Unit {
    /// The name the page script knows the unit by.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Usd => "usd",
        }
    }

    /// Formats a value for an axis tick or a label (compact).
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Percent => {
                let percent = value * 100.0;
                if percent.abs() < 10.0 && percent.fract().abs() > 1e-9 {
                    format!("{percent:.1}%")
                } else {
                    format!("{percent:.0}%")
                }
            }
            Unit::Count => compact(value),
            Unit::Usd if !value.is_finite() => "n/a".into(),
            Unit::Usd => {
                let text = compact(value.abs());
                if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
                    format!("-${text}")
                } else {
                    format!("${text}")
                }
            }
        }
    }
}

/// 1234 -> "1,234"; 1_250_000 -> "1.25M"; 500_000 -> "500k"; 12.5 -> "12.5".
fn compact(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    let magnitude = value.abs();
    let short = |scaled: f64, suffix: &str| {
        let text = format!("{scaled:.2}");
        format!(
            "{}{suffix}",
            text.trim_end_matches('0').trim_end_matches('.')
        )
    };
    let sign = if value < 0.0 { "-" } else { "" };
    if magnitude < 1e4 {
        return if value.fract().abs() < 1e-9 {
            thousands(value.round() as i64)
        } else {
            short(value, "")
        };
    }
    // The units of the report's money (crate::report::format_money): K, M,
    // B, T, then full digits; a tick keeps up to two decimals.
    for (scale, suffix) in [(1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T")] {
        let scaled = magnitude / scale;
        if format!("{scaled:.2}")
            .parse::<f64>()
            .is_ok_and(|rounded| rounded < 1000.0)
        {
            return format!("{sign}{}", short(scaled, suffix));
        }
    }
    format!("{sign}{}", crate::report::format_decimal(magnitude, 0))
}

pub fn thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The shared x axis of a cartesian figure.
#[derive(Debug, Clone)]
pub enum XValues {
    /// Calendar days (weeks and months by their first day): a zoomable time axis.
    Dates(Vec<NaiveDate>),
    /// Named categories in display order.
    Categories(Vec<String>),
    /// Numbers on a value axis.
    Numbers(Vec<f64>),
}

impl XValues {
    /// Number of points.
    pub fn len(&self) -> usize {
        match self {
            XValues::Dates(values) => values.len(),
            XValues::Categories(values) => values.len(),
            XValues::Numbers(values) => values.len(),
        }
    }

    /// True when there is no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Line,
    /// A dashed constant line (target, benchmark).
    Reference,
    Bar,
}

/// One named series; `values[i]` belongs to the figure's `x[i]`; `None` is a gap.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub kind: SeriesKind,
    pub values: Vec<Option<f64>>,
    /// Bars with the same stack name are stacked (negatives below zero).
    pub stack: Option<&'static str>,
    /// `#rrggbb`, the same in the HTML and the PNG.
    pub color: &'static str,
}

/// A line or bar chart over one x axis.
#[derive(Debug, Clone)]
pub struct Cartesian {
    pub x: XValues,
    pub x_label: String,
    /// Unit of the x axis when it is numeric.
    pub x_unit: Unit,
    pub y_label: String,
    pub y_unit: Unit,
    pub series: Vec<Series>,
    /// Bars run left to right with the categories down the y axis.
    pub horizontal: bool,
}

/// A matrix of values; `None` cells are censored and drawn blank.
#[derive(Debug, Clone)]
pub struct Heatmap {
    pub x: Vec<String>,
    pub x_label: String,
    pub y: Vec<String>,
    pub y_label: String,
    /// `(x index, y index, value)`.
    pub cells: Vec<(usize, usize, Option<f64>)>,
    pub unit: Unit,
}

/// What is drawn.
#[derive(Debug, Clone)]
pub enum Plot {
    Cartesian(Cartesian),
    Heatmap(Heatmap),
}

/// One chart: `reports/charts/<name>.html` and `.png`, and a card of the dashboard.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem and element id: `[a-z0-9_]+`.
    pub name: &'static str,
    pub title: String,
    /// The analytics table(s) it reads, shown under the title.
    pub source: String,
    pub plot: Plot,
}

/// The palette, in series order; shared by both renderers.
pub const PALETTE: [&str; 10] = [
    "#2f6fdb", "#e8743b", "#19a979", "#945ecf", "#d64550", "#13a4b4", "#b8860b", "#6c8893",
    "#ee6868", "#5c5c99",
];

/// Colour of reference lines (targets, benchmarks).
pub const REFERENCE_COLOR: &str = "#444444";

/// The `index`-th palette colour, cycling.
pub fn palette(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_format_compactly() {
        assert_eq!(Unit::Percent.format(0.3), "30%");
        assert_eq!(Unit::Percent.format(0.055), "5.5%");
        assert_eq!(Unit::Count.format(1234.0), "1,234");
        assert_eq!(Unit::Count.format(25_000.0), "25K");
        assert_eq!(Unit::Usd.format(500_000.0), "$500K");
        assert_eq!(Unit::Usd.format(1_250_000.0), "$1.25M");
        assert_eq!(Unit::Usd.format(-5.0), "-$5");
        assert_eq!(Unit::Usd.format(0.0), "$0");
        assert_eq!(Unit::Usd.format(999_999.0), "$1M");
        assert_eq!(Unit::Usd.format(5.6e9), "$5.6B");
        assert_eq!(Unit::Usd.format(7.8e12), "$7.8T");
        assert_eq!(Unit::Usd.format(1e18), "$1,000,000,000,000,000,000");
        assert_eq!(Unit::Usd.format(-1e18), "-$1,000,000,000,000,000,000");
        assert_eq!(Unit::Usd.format(f64::NAN), "n/a");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
    }
}
