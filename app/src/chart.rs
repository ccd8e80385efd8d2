//! SVG charts drawn on the server (readable without JavaScript, printable): labelled axes, dates on
//! the time axis, each value in a `<title>` shown on hover, and a text summary for screen readers
//! and print. Used by the team page and the Impact page.

use leptos::prelude::*;

/// Colours of the series, in order (distinct for the common kinds of colour blindness).
pub const COLOURS: [&str; 6] = [
    "#2f6fde", "#e07b39", "#3a9d5d", "#b04fc2", "#c9a227", "#d8485c",
];

/// The plot area inside the SVG's 640×240 box.
const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 44.0;

fn plot_w() -> f64 {
    W - LEFT - RIGHT
}

fn plot_h() -> f64 {
    H - TOP - BOTTOM
}

/// A "nice" top for the y axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * p)
}

fn tick_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The axes: y ticks (0, half, top) with grid lines, x labels (at most 7, evenly picked), and the
/// two axis titles. `x_at(i)` is the centre of slot `i`.
#[component]
fn Axes(
    top: f64,
    labels: Vec<String>,
    x_title: String,
    y_title: String,
    #[prop(into)] x_at: Callback<usize, f64>,
) -> impl IntoView {
    let step = labels.len().div_ceil(7).max(1);
    let y_of = move |v: f64| TOP + plot_h() * (1.0 - v / top);
    view! {
        <g class="axes" font-size="11" fill="currentColor">
            {[0.0, top / 2.0, top].into_iter().map(|v| view! {
                <line x1=LEFT x2={W - RIGHT} y1=y_of(v) y2=y_of(v) stroke="#ccc" stroke-width="1" />
                <text x={LEFT - 6.0} y={y_of(v) + 4.0} text-anchor="end">{tick_text(v)}</text>
            }).collect_view()}
            <line x1=LEFT x2=LEFT y1=TOP y2={TOP + plot_h()} stroke="#888" />
            {labels.iter().enumerate().filter(|(i, _)| i % step == 0).map(|(i, l)| view! {
                <text x=x_at.run(i) y={TOP + plot_h() + 14.0} text-anchor="middle">{l.get(5..).unwrap_or(l).to_string()}</text>
            }).collect_view()}
            <text x={LEFT + plot_w() / 2.0} y={H - 4.0} text-anchor="middle">{x_title}</text>
            <text x="12" y={TOP + plot_h() / 2.0} text-anchor="middle" transform=format!("rotate(-90 12 {})", TOP + plot_h() / 2.0)>{y_title}</text>
        </g>
    }
}

/// One named series of a chart, a value per label (`None`: no value there; a line skips it).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// A series with a value at every label.
    pub fn full(name: impl Into<String>, values: impl IntoIterator<Item = f64>) -> Self {
        Self {
            name: name.into(),
            values: values.into_iter().map(Some).collect(),
        }
    }
}

/// The chart's figure: the SVG (axes, then the marks) and its caption (legend and text summary).
fn frame(
    summary: String,
    testid: &'static str,
    axes: impl IntoView,
    marks: impl IntoView,
    names: Vec<String>,
) -> impl IntoView {
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") width="100%" role="img" aria-label=summary.clone() data-testid=testid>
                {axes}
                {marks}
            </svg>
            <figcaption>
                {legend(names)}
                <p class="muted">{summary}</p>
            </figcaption>
        </figure>
    }
}

fn legend(names: Vec<String>) -> impl IntoView {
    view! {
        <ul class="legend">
            {names.into_iter().enumerate().map(|(k, name)| view! {
                <li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill=COLOURS[k % COLOURS.len()] /></svg>" "{name}</li>
            }).collect_view()}
        </ul>
    }
}

/// Lines over dated points (`labels`: `YYYY-MM-DD`, shown as `MM-DD`; the axis title names the
/// year). `summary` is the chart's text equivalent; `y_top` fixes the axis (a 1-5 or 1-7 scale).
#[component]
pub fn LineChart(
    labels: Vec<String>,
    series: Vec<Series>,
    x_title: String,
    y_title: String,
    summary: String,
    testid: &'static str,
    #[prop(optional)] y_top: Option<f64>,
) -> impl IntoView {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .fold(0.0, f64::max);
    let top = y_top.unwrap_or_else(|| nice_max(max));
    let n = labels.len().max(1);
    let x_at = move |i: usize| {
        if n == 1 {
            LEFT + plot_w() / 2.0
        } else {
            LEFT + plot_w() * i as f64 / (n - 1) as f64
        }
    };
    let y_of = move |v: f64| TOP + plot_h() * (1.0 - v / top);
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let lines = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let colour = COLOURS[k % COLOURS.len()];
            // A line per run of labels with values: a missing value breaks the line.
            let mut runs: Vec<Vec<String>> = vec![Vec::new()];
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        if let Some(run) = runs.last_mut() {
                            run.push(format!("{:.1},{:.1}", x_at(i), y_of(*v)));
                        }
                    }
                    None => runs.push(Vec::new()),
                }
            }
            let polylines = runs
                .into_iter()
                .filter(|r| r.len() > 1)
                .map(|r| view! { <polyline points=r.join(" ") fill="none" stroke=colour stroke-width="2" /> })
                .collect_view();
            let dots = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .map(|(i, v)| {
                    let label = labels.get(i).cloned().unwrap_or_default();
                    view! {
                        <circle cx=format!("{:.1}", x_at(i)) cy=format!("{:.1}", y_of(v)) r="4" fill=colour>
                            <title>{format!("{}, {label}: {}", s.name, tick_text(v))}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                {polylines}
                {dots}
            }
        })
        .collect_view();
    let axes = view! { <Axes top labels=labels.clone() x_title y_title x_at=x_at /> };
    frame(summary, testid, axes, lines, names)
}

/// Stacked bars, one per label, one colour per series.
#[component]
pub fn StackedBars(
    labels: Vec<String>,
    series: Vec<Series>,
    x_title: String,
    y_title: String,
    summary: String,
    testid: &'static str,
) -> impl IntoView {
    let n = labels.len().max(1);
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().flatten().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let top = nice_max(totals.iter().copied().fold(0.0, f64::max));
    let slot = plot_w() / n as f64;
    let bar = (slot * 0.7).max(2.0);
    let x_at = move |i: usize| LEFT + slot * (i as f64 + 0.5);
    let mut rects = Vec::new();
    for i in 0..n {
        let mut y = TOP + plot_h();
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let height = plot_h() * v / top;
            y -= height;
            let label = labels.get(i).cloned().unwrap_or_default();
            rects.push(view! {
                <rect x=format!("{:.1}", x_at(i) - bar / 2.0) y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{height:.1}") fill=COLOURS[k % COLOURS.len()]>
                    <title>{format!("{}, {label}: {}", s.name, tick_text(v))}</title>
                </rect>
            });
        }
    }
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let axes = view! { <Axes top labels=labels.clone() x_title y_title x_at=x_at /> };
    frame(summary, testid, axes, rects, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_y_axis_ends_on_a_round_number() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(40.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
    }
}
