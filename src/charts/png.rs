//! [`Figure`] -> a 1600x900 PNG with `plotters`, no browser and no system
//! fonts: DejaVu Sans (templates/fonts/) is compiled into the binary.

use std::error::Error;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{Cartesian, Figure, Heatmap, Plot, SeriesKind, XValues};
use super::ChartError;

/// PNG width in pixels.
pub const WIDTH: u32 = 1600;
/// PNG height in pixels.
pub const HEIGHT: u32 = 900;

/// Low-to-high colours of heatmap cells (also the ECharts visualMap range).
pub const HEATMAP_RAMP: [&str; 5] = ["#f1f6fd", "#bcd4f5", "#77a6ea", "#2f6fdb", "#123f8c"];

const FONT: &str = "sans-serif";
const REGULAR: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf");
const HEADER_HEIGHT: u32 = 150;

type DrawResult<T = ()> = Result<T, Box<dyn Error>>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, BOLD).is_ok()
    });
    if *registered {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// Renders `figure` as PNG bytes.
///
/// # Errors
/// The bundled font cannot be loaded, or plotters or the PNG encoder fails.
pub fn render_png(figure: &Figure) -> Result<Vec<u8>, ChartError> {
    register_fonts()?;
    let png_error = |message: String| ChartError::Png {
        chart: figure.name,
        message,
    };
    let mut pixels = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        draw(figure, &root).map_err(|err| png_error(err.to_string()))?;
        root.present().map_err(|err| png_error(err.to_string()))?;
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|err| png_error(err.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|err| png_error(err.to_string()))?;
    }
    Ok(bytes)
}

fn hex(color: &str) -> RGBColor {
    let channel = |range: std::ops::Range<usize>| {
        color
            .get(range)
            .and_then(|digits| u8::from_str_radix(digits, 16).ok())
            .unwrap_or(0)
    };
    RGBColor(channel(1..3), channel(3..5), channel(5..7))
}

fn text_style(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&RGBColor(40, 40, 40))
}

/// At most `max_chars` characters of `text` (an ellipsis marks a cut), as
/// drawn: see [`displayable`].
fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        displayable(text)
    } else {
        let mut short: String = text.chars().take(max_chars - 1).collect();
        short.push('…');
        displayable(&short)
    }
}

/// Drawn instead of a character the bundled font has no glyph for (emoji,
/// most CJK): a visible mark, explained by [`PLACEHOLDER_NOTE`] on the chart,
/// rather than an empty box that looks like data.
pub const PLACEHOLDER: char = '\u{FFFD}';
/// The note a chart carries when [`PLACEHOLDER`] replaced a character.
pub const PLACEHOLDER_NOTE: &str =
    "\u{FFFD} = a character the PNG font (DejaVu Sans) cannot draw; the HTML chart shows it";

/// The bundled regular font, parsed once to ask which characters it covers.
fn glyph_font() -> Option<&'static ab_glyph::FontRef<'static>> {
    static FONT_REF: OnceLock<Option<ab_glyph::FontRef<'static>>> = OnceLock::new();
    FONT_REF
        .get_or_init(|| ab_glyph::FontRef::try_from_slice(REGULAR).ok())
        .as_ref()
}

/// True when the bundled font can draw `c` (whitespace always can).
pub fn drawable(c: char) -> bool {
    use ab_glyph::Font as _;
    c.is_whitespace() || glyph_font().is_some_and(|font| font.glyph_id(c).0 != 0)
}

/// `text` as the PNG draws it: right-to-left runs (Hebrew, Arabic) put in
/// visual order with the Unicode bidirectional algorithm, since plotters
/// lays glyphs out left to right; characters the bundled font lacks
/// replaced by [`PLACEHOLDER`]. Arabic letters are drawn unjoined (no
/// shaping); the HTML charts use the browser's text engine and show all of it.
pub fn displayable(text: &str) -> String {
    let covered: String = text
        .chars()
        .map(|c| if drawable(c) { c } else { PLACEHOLDER })
        .collect();
    let info = unicode_bidi::BidiInfo::new(&covered, None);
    if !info.has_rtl() {
        return covered;
    }
    info.paragraphs
        .iter()
        .map(|paragraph| {
            info.reorder_line(paragraph, paragraph.range.clone())
                .into_owned()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every piece of data-derived text of `figure` (title, source, labels,
/// series and category names).
fn figure_texts(figure: &Figure) -> Vec<&str> {
    let mut texts = vec![figure.title.as_str(), figure.source.as_str()];
    match &figure.plot {
        Plot::Cartesian(chart) => {
            texts.push(&chart.x_label);
            texts.push(&chart.y_label);
            texts.extend(chart.series.iter().map(|series| series.name.as_str()));
            if let XValues::Categories(names) = &chart.x {
                texts.extend(names.iter().map(String::as_str));
            }
        }
        Plot::Heatmap(chart) => {
            texts.push(&chart.x_label);
            texts.push(&chart.y_label);
            texts.extend(chart.x.iter().map(String::as_str));
            texts.extend(chart.y.iter().map(String::as_str));
        }
    }
    texts
}

fn draw(figure: &Figure, root: &Area<'_>) -> DrawResult {
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    header.draw(&Text::new(
        truncate(&figure.title, 80),
        (40, 20),
        TextStyle::from((FONT, 34).into_font().style(FontStyle::Bold)).color(&RGBColor(20, 20, 20)),
    ))?;
    header.draw(&Text::new(
        format!("source: {}", truncate(&figure.source, 120)),
        (40, 66),
        text_style(19).color(&RGBColor(110, 110, 110)),
    ))?;
    if figure_texts(figure)
        .iter()
        .any(|text| text.chars().any(|c| !drawable(c)))
    {
        header.draw(&Text::new(
            PLACEHOLDER_NOTE,
            (WIDTH as i32 - 40, 66),
            text_style(19)
                .color(&RGBColor(110, 110, 110))
                .pos(Pos::new(HPos::Right, VPos::Top)),
        ))?;
    }
    match &figure.plot {
        Plot::Cartesian(chart) => {
            let legend: Vec<(String, RGBColor, SeriesKind)> = chart
                .series
                .iter()
                .map(|series| (series.name.clone(), hex(series.color), series.kind))
                .collect();
            draw_legend(&header, &legend)?;
            draw_cartesian(chart, root, &body)
        }
        Plot::Heatmap(chart) => draw_heatmap(chart, root, &body),
    }
}

/// A one- or two-row legend under the title, so it never covers data.
fn draw_legend(header: &Area<'_>, entries: &[(String, RGBColor, SeriesKind)]) -> DrawResult {
    let style = text_style(20);
    let (mut x, mut y) = (40i32, 104i32);
    for (name, color, kind) in entries {
        let label = truncate(name, 40);
        let (width, _) = header.estimate_text_size(&label, &style)?;
        let advance = 34 + width as i32 + 28;
        if x + advance > WIDTH as i32 - 40 && x > 40 {
            x = 40;
            y += 28;
        }
        match kind {
            SeriesKind::Bar => header.draw(&Rectangle::new(
                [(x, y - 8), (x + 24, y + 8)],
                color.filled(),
            ))?,
            SeriesKind::Line => header.draw(&PathElement::new(
                vec![(x, y), (x + 24, y)],
                color.stroke_width(4),
            ))?,
            SeriesKind::Reference => {
                header.draw(&PathElement::new(
                    vec![(x, y), (x + 9, y)],
                    color.stroke_width(3),
                ))?;
                header.draw(&PathElement::new(
                    vec![(x + 15, y), (x + 24, y)],
                    color.stroke_width(3),
                ))?;
            }
        }
        header.draw(&Text::new(
            label,
            (x + 34, y),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += advance;
    }
    Ok(())
}

fn date_number(day: &NaiveDate) -> f64 {
    f64::from(day.num_days_from_ce())
}

fn format_date(value: f64) -> String {
    NaiveDate::from_num_days_from_ce_opt(value.round() as i32)
        .map(|day| day.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Positions of the x values on the category axis.
fn positions(x: &XValues) -> Vec<f64> {
    match x {
        XValues::Dates(days) => days.iter().map(date_number).collect(),
        XValues::Categories(names) => (0..names.len()).map(|index| index as f64).collect(),
        XValues::Numbers(numbers) => numbers.clone(),
    }
}

/// Smallest gap between consecutive positions (bar width basis); 1 when fewer than two.
fn step(positions: &[f64]) -> f64 {
    let mut sorted = positions.to_vec();
    sorted.sort_by(f64::total_cmp);
    let smallest = sorted
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .filter(|gap| *gap > 0.0)
        .fold(f64::INFINITY, f64::min);
    if smallest.is_finite() {
        smallest
    } else {
        1.0
    }
}

/// The plot of a cartesian chart: value axis range and category axis range.
type Plot2d<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The value axis range: every unstacked value and every stack's positive
/// and negative totals, with 6% headroom (and footroom below zero).
fn value_range(chart: &Cartesian, count: usize) -> (f64, f64) {
    let (mut low, mut high) = (0.0_f64, 0.0_f64);
    let mut stacks: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    for series in &chart.series {
        match series.stack {
            Some(name) => {
                let index = match stacks.iter().position(|(stack, _, _)| *stack == name) {
                    Some(index) => index,
                    None => {
                        stacks.push((name, vec![0.0; count], vec![0.0; count]));
                        stacks.len() - 1
                    }
                };
                for (point, value) in series.values.iter().enumerate() {
                    match value {
                        Some(value) if *value >= 0.0 => stacks[index].1[point] += value,
                        Some(value) => stacks[index].2[point] += value,
                        None => {}
                    }
                }
            }
            None => {
                for value in series.values.iter().flatten() {
                    low = low.min(*value);
                    high = high.max(*value);
                }
            }
        }
    }
    for (_, positive, negative) in &stacks {
        high = positive.iter().copied().fold(high, f64::max);
        low = negative.iter().copied().fold(low, f64::min);
    }
    if high <= low {
        high = low + 1.0;
    }
    let span = high - low;
    let high = high + span * 0.06;
    let low = if low < 0.0 { low - span * 0.06 } else { low };
    (low, high)
}

/// The category axis range: one slot per category, or the x values' span
/// padded by most of a bar when there are bars.
fn category_range(chart: &Cartesian, positions: &[f64], step: f64) -> (f64, f64) {
    let count = chart.x.len();
    let has_bars = chart
        .series
        .iter()
        .any(|series| series.kind == SeriesKind::Bar);
    if matches!(chart.x, XValues::Categories(_)) || count == 0 {
        (-0.5, count.max(1) as f64 - 0.5)
    } else {
        let first = positions.iter().copied().fold(f64::INFINITY, f64::min);
        let last = positions.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = if has_bars { step * 0.6 } else { 0.0 };
        if last > first {
            (first - pad, last + pad)
        } else {
            (first - 1.0, first + 1.0)
        }
    }
}

/// Where a (category, value) point goes: categories run down the y axis
/// (first at the top) in a horizontal chart.
#[derive(Clone, Copy)]
struct Orientation {
    horizontal: bool,
    category_low: f64,
    category_high: f64,
}

impl Orientation {
    fn xy(self, category: f64, value: f64) -> (f64, f64) {
        if self.horizontal {
            (value, self.category_low + self.category_high - category)
        } else {
            (category, value)
        }
    }
}

fn draw_cartesian(chart: &Cartesian, root: &Area<'_>, body: &Area<'_>) -> DrawResult {
    let count = chart.x.len();
    let positions = positions(&chart.x);
    let step = step(&positions);
    let (low, high) = value_range(chart, count);
    let (category_low, category_high) = category_range(chart, &positions, step);
    let orientation = Orientation {
        horizontal: chart.horizontal,
        category_low,
        category_high,
    };
    let (x_range, y_range) = if chart.horizontal {
        (low..high, category_low..category_high)
    } else {
        (category_low..category_high, low..high)
    };
    let mut plot = ChartBuilder::on(body)
        .margin_left(30)
        .margin_right(50)
        .margin_top(10)
        .margin_bottom(20)
        .x_label_area_size(if chart.horizontal { 80 } else { 90 })
        .y_label_area_size(if chart.horizontal { 300 } else { 140 })
        .build_cartesian_2d(x_range, y_range)?;
    draw_mesh(chart, &mut plot)?;
    draw_category_names(chart, root, &plot, orientation, low)?;
    draw_series(chart, &mut plot, orientation, &positions, step)
}

/// Axes, grid lines, tick labels and axis titles.
fn draw_mesh(chart: &Cartesian, plot: &mut Plot2d<'_, '_>) -> DrawResult {
    let is_categories = matches!(chart.x, XValues::Categories(_));
    let value_format = |value: &f64| chart.y_unit.format(*value);
    let category_format = |value: &f64| match &chart.x {
        XValues::Dates(_) => format_date(*value),
        XValues::Numbers(_) => chart.x_unit.format(*value),
        XValues::Categories(_) => String::new(),
    };
    let grid = RGBColor(232, 232, 232);
    let (x_label, y_label) = (displayable(&chart.x_label), displayable(&chart.y_label));
    let mut mesh = plot.configure_mesh();
    mesh.label_style(text_style(19))
        .axis_desc_style(text_style(21))
        .light_line_style(WHITE)
        .bold_line_style(grid)
        .axis_style(RGBColor(120, 120, 120));
    if chart.horizontal {
        mesh.x_label_formatter(&value_format)
            .y_label_formatter(&category_format)
            .x_desc(y_label.as_str())
            .y_desc(x_label.as_str())
            .x_labels(8)
            .disable_y_mesh();
    } else {
        mesh.x_label_formatter(&category_format)
            .y_label_formatter(&value_format)
            .x_desc(x_label.as_str())
            .y_desc(y_label.as_str())
            .x_labels(if is_categories { 0 } else { 9 })
            .y_labels(8);
        if is_categories {
            mesh.disable_x_mesh();
        }
    }
    mesh.draw()?;
    Ok(())
}

/// Category names, drawn at the exact slot centres (at most about 30).
fn draw_category_names(
    chart: &Cartesian,
    root: &Area<'_>,
    plot: &Plot2d<'_, '_>,
    orientation: Orientation,
    low: f64,
) -> DrawResult {
    let XValues::Categories(names) = &chart.x else {
        return Ok(());
    };
    let every = names.len().div_ceil(30).max(1);
    let max_chars = if chart.horizontal {
        26
    } else {
        (140 / names.len().max(1)).clamp(4, 22)
    };
    for (index, name) in names
        .iter()
        .enumerate()
        .filter(|(index, _)| index % every == 0)
    {
        let label = truncate(name, max_chars);
        let (x, y) = plot.backend_coord(&orientation.xy(index as f64, low));
        if chart.horizontal {
            root.draw(&Text::new(
                label,
                (x - 12, y),
                text_style(19).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        } else {
            root.draw(&Text::new(
                label,
                (x, y + 10),
                text_style(18).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
    }
    Ok(())
}

/// Bar slots: one per unstacked bar series, one per stack.
fn bar_slots(chart: &Cartesian) -> Vec<Option<&str>> {
    let mut slots: Vec<Option<&str>> = Vec::new();
    for series in chart
        .series
        .iter()
        .filter(|series| series.kind == SeriesKind::Bar)
    {
        match series.stack {
            Some(name) if slots.contains(&Some(name)) => {}
            other => slots.push(other),
        }
    }
    slots
}

/// Every series in order: bars side by side in their slots (stacked bars
/// on their stack's running base), lines and dashed reference lines broken
/// at missing values.
fn draw_series(
    chart: &Cartesian,
    plot: &mut Plot2d<'_, '_>,
    orientation: Orientation,
    positions: &[f64],
    step: f64,
) -> DrawResult {
    let count = chart.x.len();
    let is_categories = matches!(chart.x, XValues::Categories(_));
    let slots = bar_slots(chart);
    let group_width = step * if is_categories { 0.8 } else { 0.75 };
    let bar_width = group_width / slots.len().max(1) as f64;
    let mut positive_base: Vec<Vec<f64>> = vec![vec![0.0; count]; slots.len()];
    let mut negative_base: Vec<Vec<f64>> = vec![vec![0.0; count]; slots.len()];
    let mut unstacked_seen = 0usize;

    for series in &chart.series {
        let color = hex(series.color);
        match series.kind {
            SeriesKind::Bar => {
                let slot = match series.stack {
                    Some(name) => slots
                        .iter()
                        .position(|slot| *slot == Some(name))
                        .unwrap_or(0),
                    None => {
                        let slot = slots
                            .iter()
                            .enumerate()
                            .filter(|(_, slot)| slot.is_none())
                            .nth(unstacked_seen)
                            .map_or(0, |(index, _)| index);
                        unstacked_seen += 1;
                        slot
                    }
                };
                let offset = -group_width / 2.0 + slot as f64 * bar_width;
                let mut rectangles = Vec::new();
                for (point, value) in series.values.iter().enumerate() {
                    let Some(value) = value else { continue };
                    let base = if *value >= 0.0 {
                        &mut positive_base[slot][point]
                    } else {
                        &mut negative_base[slot][point]
                    };
                    let start = *base;
                    if series.stack.is_some() {
                        *base += value;
                    }
                    let left = positions[point] + offset + bar_width * 0.04;
                    let right = positions[point] + offset + bar_width * 0.96;
                    rectangles.push(Rectangle::new(
                        [
                            orientation.xy(left, start),
                            orientation.xy(right, start + value),
                        ],
                        color.filled(),
                    ));
                }
                plot.draw_series(rectangles)?;
            }
            SeriesKind::Line | SeriesKind::Reference => {
                let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                for (point, value) in series.values.iter().enumerate() {
                    match value {
                        Some(value) => {
                            if let Some(segment) = segments.last_mut() {
                                segment.push(orientation.xy(positions[point], *value));
                            }
                        }
                        None => segments.push(Vec::new()),
                    }
                }
                for segment in segments.into_iter().filter(|segment| !segment.is_empty()) {
                    if series.kind == SeriesKind::Reference {
                        plot.draw_series(DashedLineSeries::new(
                            segment,
                            14,
                            10,
                            color.stroke_width(3),
                        ))?;
                    } else {
                        if count <= 40 {
                            plot.draw_series(
                                segment
                                    .iter()
                                    .map(|point| Circle::new(*point, 5, color.filled())),
                            )?;
                        }
                        plot.draw_series(LineSeries::new(segment, color.stroke_width(3)))?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn ramp(fraction: f64) -> RGBColor {
    let stops: Vec<RGBColor> = HEATMAP_RAMP.iter().map(|color| hex(color)).collect();
    let scaled = fraction.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let index = (scaled.floor() as usize).min(stops.len() - 2);
    let t = scaled - index as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    let (a, b) = (stops[index], stops[index + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw_heatmap(chart: &Heatmap, root: &Area<'_>, body: &Area<'_>) -> DrawResult {
    let columns = chart.x.len().max(1);
    let rows = chart.y.len().max(1);
    let max = chart
        .cells
        .iter()
        .filter_map(|(_, _, value)| *value)
        .fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let mut plot = ChartBuilder::on(body)
        .margin_left(30)
        .margin_right(190)
        .margin_top(10)
        .margin_bottom(20)
        .x_label_area_size(80)
        .y_label_area_size(140)
        .build_cartesian_2d(0.0..columns as f64, 0.0..rows as f64)?;
    plot.configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .axis_desc_style(text_style(21))
        .x_desc(displayable(&chart.x_label))
        .y_desc(displayable(&chart.y_label))
        .axis_style(RGBColor(120, 120, 120))
        .draw()?;
    let top = rows as f64;
    plot.draw_series(chart.cells.iter().filter_map(|(x, y, value)| {
        value.map(|value| {
            let (x, y) = (*x as f64, *y as f64);
            Rectangle::new(
                [(x + 0.04, top - y - 0.96), (x + 0.96, top - y - 0.04)],
                ramp(value / max).filled(),
            )
        })
    }))?;
    let every_x = chart.x.len().div_ceil(24).max(1);
    for (index, name) in chart
        .x
        .iter()
        .enumerate()
        .filter(|(index, _)| index % every_x == 0)
    {
        let (x, y) = plot.backend_coord(&(index as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            truncate(name, 8),
            (x, y + 10),
            text_style(17).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    let every_y = chart.y.len().div_ceil(30).max(1);
    for (index, name) in chart
        .y
        .iter()
        .enumerate()
        .filter(|(index, _)| index % every_y == 0)
    {
        let (x, y) = plot.backend_coord(&(0.0, top - index as f64 - 0.5));
        root.draw(&Text::new(
            truncate(name, 12),
            (x - 10, y),
            text_style(17).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    // colour scale
    let (scale_left, scale_top, scale_bottom) = (
        WIDTH as i32 - 150,
        HEADER_HEIGHT as i32 + 30,
        HEIGHT as i32 - 140,
    );
    let steps = 40;
    for step in 0..steps {
        let fraction = 1.0 - f64::from(step) / f64::from(steps - 1);
        let y0 = scale_top + (scale_bottom - scale_top) * step / steps;
        let y1 = scale_top + (scale_bottom - scale_top) * (step + 1) / steps;
        root.draw(&Rectangle::new(
            [(scale_left, y0), (scale_left + 30, y1)],
            ramp(fraction).filled(),
        ))?;
    }
    let label_style = text_style(18).pos(Pos::new(HPos::Left, VPos::Center));
    root.draw(&Text::new(
        chart.unit.format(max),
        (scale_left + 40, scale_top),
        label_style.clone(),
    ))?;
    root.draw(&Text::new(
        chart.unit.format(0.0),
        (scale_left + 40, scale_bottom),
        label_style,
    ))?;
    root.draw(&Text::new(
        "blank: censored",
        (scale_left - 20, scale_bottom + 40),
        text_style(16).color(&RGBColor(110, 110, 110)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::figure::{Series, Unit, PALETTE};

    #[test]
    fn renders_a_line_chart_with_gaps_and_a_reference() {
        let figure = Figure {
            name: "test",
            title: "Test <b>chart</b>".into(),
            source: "analytics.test".into(),
            plot: Plot::Cartesian(Cartesian {
                x: XValues::Numbers(vec![1.0, 2.0, 3.0]),
                x_label: "x".into(),
                x_unit: Unit::Count,
                y_label: "y".into(),
                y_unit: Unit::Percent,
                series: vec![
                    Series {
                        name: "a".into(),
                        kind: SeriesKind::Line,
                        values: vec![Some(0.1), None, Some(0.3)],
                        stack: None,
                        color: PALETTE[0],
                    },
                    Series {
                        name: "b".into(),
                        kind: SeriesKind::Reference,
                        values: vec![Some(0.2); 3],
                        stack: None,
                        color: PALETTE[1],
                    },
                ],
                horizontal: false,
            }),
        };
        let bytes = render_png(&figure).expect("renders");
        assert_eq!(&bytes[1..4], b"PNG");
        // Emoji and Hebrew in a series name: drawn (with the note), not refused.
        let mut marked = figure.clone();
        if let Plot::Cartesian(chart) = &mut marked.plot {
            chart.series[0].name = "🚀 שלום".into();
        }
        assert!(figure_texts(&marked)
            .iter()
            .any(|text| !text.chars().all(drawable)));
        let marked_bytes = render_png(&marked).expect("renders with a placeholder");
        assert_ne!(marked_bytes, bytes);
    }

    #[test]
    fn text_the_font_lacks_is_marked_and_right_to_left_text_is_reordered() {
        assert!(
            drawable(PLACEHOLDER),
            "the placeholder itself must be drawable"
        );
        assert!(drawable('é') && drawable('ש') && drawable(' '));
        // DejaVu Sans has the emoticons (U+1F600..) but not most other emoji or CJK.
        assert!(!drawable('🚀') && !drawable('🎉') && !drawable('中'));
        assert_eq!(displayable("plain text"), "plain text");
        assert_eq!(displayable("team 🚀"), format!("team {PLACEHOLDER}"));
        // Hebrew is stored first letter first; drawn left to right it must
        // come out last letter first.
        assert_eq!(displayable("שלום"), "םולש");
        assert_eq!(displayable("segment שלום"), "segment םולש");
        assert!(truncate("🚀🚀🚀🚀🚀🚀", 4).starts_with(PLACEHOLDER));
    }

    #[test]
    fn ramp_runs_from_first_to_last_stop() {
        assert_eq!(ramp(0.0), hex(HEATMAP_RAMP[0]));
        assert_eq!(ramp(1.0), hex(HEATMAP_RAMP[4]));
    }
}
