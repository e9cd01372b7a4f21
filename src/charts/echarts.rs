//! [`Figure`] -> an Apache ECharts option (JSON).
//!
//! The option is data only: no JavaScript functions travel in it. Units are
//! passed as `format` hints that the page script (`templates/charts/render.js`)
//! turns into tooltip and axis formatters, so every data-derived string stays
//! a JSON string that ECharts draws as text.

use serde_json::{json, Value};

use super::figure::{Cartesian, Figure, Heatmap, Plot, SeriesKind, XValues};

const FONT: &str = "DejaVu Sans, Verdana, sans-serif";

/// The chart spec the page script renders: `{name, option, format}`.
pub fn chart_spec(figure: &Figure) -> Value {
    let (option, format) = match &figure.plot {
        Plot::Cartesian(cartesian) => cartesian_option(figure, cartesian),
        Plot::Heatmap(heatmap) => heatmap_option(figure, heatmap),
    };
    json!({ "name": figure.name, "option": option, "format": format })
}

fn title(figure: &Figure) -> Value {
    json!({
        "text": figure.title,
        "subtext": format!("source: {}", figure.source),
        "left": 8,
        "top": 4,
        "textStyle": { "fontSize": 15, "fontFamily": FONT },
        "subtextStyle": { "fontSize": 11, "color": "#666" },
    })
}

fn toolbox(zoom: bool) -> Value {
    let mut feature =
        json!({ "saveAsImage": { "title": "save PNG" }, "restore": { "title": "reset" } });
    if zoom {
        feature["dataZoom"] =
            json!({ "yAxisIndex": "none", "title": { "zoom": "zoom", "back": "undo zoom" } });
    }
    json!({ "right": 8, "top": 4, "feature": feature })
}

fn cartesian_option(figure: &Figure, chart: &Cartesian) -> (Value, Value) {
    let is_time = matches!(chart.x, XValues::Dates(_));
    let has_bars = chart
        .series
        .iter()
        .any(|series| series.kind == SeriesKind::Bar);
    let category_axis = match &chart.x {
        XValues::Dates(_) => json!({ "type": "time" }),
        XValues::Categories(names) => json!({
            "type": "category",
            "data": names,
            "inverse": chart.horizontal,
            "axisLabel": { "interval": 0, "hideOverlap": true, "width": if chart.horizontal { 150 } else { 110 }, "overflow": "truncate" },
        }),
        XValues::Numbers(_) => json!({ "type": "value", "scale": true }),
    };
    let mut category_axis = category_axis;
    // a horizontal chart's category names speak for themselves (and a name
    // beside labels of unknown width would be clipped)
    if !chart.horizontal {
        category_axis["name"] = json!(chart.x_label);
        category_axis["nameLocation"] = json!("middle");
        category_axis["nameGap"] = json!(30);
    }
    let value_axis = json!({
        "type": "value",
        "name": chart.y_label,
        "nameLocation": "middle",
        "nameGap": if chart.horizontal { 30 } else { 58 },
    });
    let (x_axis, y_axis) = if chart.horizontal {
        (value_axis, category_axis)
    } else {
        (category_axis, value_axis)
    };
    let series: Vec<Value> = chart
        .series
        .iter()
        .map(|series| {
            let data: Vec<Value> = match &chart.x {
                XValues::Categories(_) => series.values.iter().map(|value| json!(value)).collect(),
                XValues::Dates(days) => days
                    .iter()
                    .zip(&series.values)
                    .map(|(day, value)| json!([day.format("%Y-%m-%d").to_string(), value]))
                    .collect(),
                XValues::Numbers(numbers) => numbers
                    .iter()
                    .zip(&series.values)
                    .map(|(number, value)| json!([number, value]))
                    .collect(),
            };
            let mut item = json!({
                "name": series.name,
                "data": data,
                "itemStyle": { "color": series.color },
                "emphasis": { "focus": "series" },
            });
            match series.kind {
                SeriesKind::Line => {
                    item["type"] = json!("line");
                    item["showSymbol"] = json!(chart.x.len() <= 40);
                    item["lineStyle"] = json!({ "width": 2, "color": series.color });
                }
                SeriesKind::Reference => {
                    item["type"] = json!("line");
                    item["showSymbol"] = json!(false);
                    item["lineStyle"] =
                        json!({ "width": 2, "type": "dashed", "color": series.color });
                    item["emphasis"] = json!({ "disabled": true });
                }
                SeriesKind::Bar => {
                    item["type"] = json!("bar");
                    item["barMaxWidth"] = json!(36);
                    if let Some(stack) = series.stack {
                        item["stack"] = json!(stack);
                    }
                }
            }
            item
        })
        .collect();
    let mut option = json!({
        "animation": false,
        "textStyle": { "fontFamily": FONT },
        "title": title(figure),
        "toolbox": toolbox(is_time),
        "tooltip": {
            "trigger": "axis",
            "confine": true,
            "axisPointer": { "type": if has_bars { "shadow" } else { "line" } },
        },
        "legend": { "type": "scroll", "top": 48, "left": 8, "right": 8 },
        "grid": {
            "left": if chart.horizontal { 16 } else { 44 },
            "right": 24,
            "top": 84,
            "bottom": if is_time { 64 } else { 28 },
            "containLabel": true,
        },
        "xAxis": x_axis,
        "yAxis": y_axis,
        "series": series,
    });
    if is_time {
        option["dataZoom"] = json!([
            { "type": "inside", "filterMode": "none" },
            { "type": "slider", "height": 18, "bottom": 8, "filterMode": "none" },
        ]);
    }
    let format = json!({
        "kind": "cartesian",
        "value": chart.y_unit.as_str(),
        "x": chart.x_unit.as_str(),
        "xIsNumber": matches!(chart.x, XValues::Numbers(_)),
        "horizontal": chart.horizontal,
    });
    (option, format)
}

fn heatmap_option(figure: &Figure, chart: &Heatmap) -> (Value, Value) {
    // censored cells are left out: drawn blank, not as 0
    let data: Vec<Value> = chart
        .cells
        .iter()
        .filter_map(|(x, y, value)| value.map(|value| json!([x, y, value])))
        .collect();
    let max = chart
        .cells
        .iter()
        .filter_map(|(_, _, value)| *value)
        .fold(0.0_f64, f64::max);
    let option = json!({
        "animation": false,
        "textStyle": { "fontFamily": FONT },
        "title": title(figure),
        "toolbox": toolbox(false),
        "tooltip": { "trigger": "item", "confine": true },
        "grid": { "left": 40, "right": 90, "top": 70, "bottom": 40, "containLabel": true },
        "xAxis": {
            "type": "category",
            "data": chart.x,
            "name": chart.x_label,
            "nameLocation": "middle",
            "nameGap": 26,
        },
        "yAxis": {
            "type": "category",
            "data": chart.y,
            "name": chart.y_label,
            "nameLocation": "middle",
            "nameGap": 72,
            "inverse": true,
        },
        "visualMap": {
            "min": 0,
            "max": if max > 0.0 { max } else { 1.0 },
            "calculable": true,
            "orient": "vertical",
            "right": 8,
            "top": "middle",
            "itemHeight": 200,
            "inRange": { "color": super::png::HEATMAP_RAMP },
        },
        "series": [{
            "name": figure.title,
            "type": "heatmap",
            "data": data,
            "emphasis": { "itemStyle": { "borderColor": "#222", "borderWidth": 1 } },
        }],
    });
    let format = json!({
        "kind": "heatmap",
        "value": chart.unit.as_str(),
        "xLabel": chart.x_label,
        "yLabel": chart.y_label,
    });
    (option, format)
}

/// Serializes `value` for a `<script>` element: `<`, `>`, `&`, U+2028 and
/// U+2029 become `\uXXXX` escapes (they can only occur inside JSON strings,
/// so the result is the same JSON), so no data can close the element or
/// start markup.
pub fn script_safe_json(value: &Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        match character {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_element() {
        let value = json!({ "name": "</script><script>alert(1)</script>&\u{2028}" });
        let text = script_safe_json(&value);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert!(!text.contains('\u{2028}'));
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, value);
    }
}
