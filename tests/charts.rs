//! Charts and the dashboard: the files `northstar run` / `northstar charts`
//! write, the PNGs, escaping of hostile data, and the dashboard opened from
//! `file://` in headless Chromium (no console error, no network request,
//! every chart drawn).

use std::path::{Path, PathBuf};

use northstar::charts::definitions::CHARTS;

use crate::common::{default_warehouse, northstar, run_in, stderr, temp_dir, TestResult};

const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=\"window.__pwned=1\">";

/// The reports directory `northstar run` wrote beside the default warehouse.
fn default_reports() -> PathBuf {
    default_warehouse()
        .parent()
        .expect("the warehouse has a parent dir")
        .join("reports")
}

fn assert_success(output: &std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({:?}): {}",
        output.status.code(),
        stderr(output)
    );
}

#[test]
fn run_writes_the_dashboard_and_every_chart() -> TestResult {
    let reports = default_reports();
    let dashboard = std::fs::read_to_string(reports.join("dashboard.html"))?;
    let size = dashboard.len();
    assert!(size < 5 * 1024 * 1024, "dashboard is {size} bytes");
    // the bundle is inlined exactly once and nothing is loaded from elsewhere
    let bundle_marker = "Apache ECharts";
    let bundle = northstar::charts::ECHARTS_JS;
    let copies = dashboard.matches(&bundle[..200]).count();
    assert_eq!(copies, 1, "the ECharts bundle should be inlined once");
    assert!(dashboard.contains(bundle_marker));
    let outside_bundle = dashboard.replace(bundle, "");
    for forbidden in [
        "<script src",
        "<link",
        "http://",
        "https://",
        "@import",
        "url(",
    ] {
        assert!(
            !outside_bundle.contains(forbidden),
            "dashboard contains '{forbidden}'"
        );
    }
    for tile in [
        "North Star (WACW)",
        "Weekly active users",
        "DAU / MAU",
        "Activation",
        "Paid conversion",
        "MRR",
    ] {
        assert!(dashboard.contains(tile), "KPI tile '{tile}' missing");
    }
    assert!(!dashboard.contains(">n/a<"), "a KPI tile has no value");
    for (name, _) in CHARTS {
        assert!(
            dashboard.contains(&format!("id=\"chart-{name}\"")),
            "no container for {name}"
        );
        let page = std::fs::read_to_string(reports.join("charts").join(format!("{name}.html")))?;
        assert!(
            page.contains("<script src=\"echarts.min.js\"></script>"),
            "{name}.html"
        );
        assert!(
            page.len() < 300_000,
            "{name}.html is {} bytes: the bundle must not be inlined",
            page.len()
        );
        assert!(
            reports.join("charts").join(format!("{name}.png")).is_file(),
            "{name}.png"
        );
    }
    assert_eq!(
        std::fs::read_to_string(reports.join("charts/echarts.min.js"))?,
        bundle
    );
    assert!(reports.join("charts/LICENSE-echarts.txt").is_file());
    println!("dashboard.html: {size} bytes, {} charts", CHARTS.len());
    Ok(())
}

/// A decoded PNG.
struct Decoded {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    channels: usize,
}

/// Decodes a PNG file.
fn decode_png(path: &Path) -> Result<Decoded, Box<dyn std::error::Error>> {
    let decoder = png::Decoder::new(std::fs::File::open(path)?);
    let mut reader = decoder.read_info()?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer)?;
    buffer.truncate(info.buffer_size());
    Ok(Decoded {
        width: info.width,
        height: info.height,
        pixels: buffer,
        channels: info.color_type.samples(),
    })
}

/// Variance of the luminance of every pixel, and the share of non-white pixels.
fn pixel_stats(pixels: &[u8], channels: usize) -> (f64, f64) {
    let luminance: Vec<f64> = pixels
        .chunks(channels)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let mean = luminance.iter().sum::<f64>() / luminance.len() as f64;
    let variance =
        luminance.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luminance.len() as f64;
    let inked = luminance.iter().filter(|l| **l < 250.0).count() as f64 / luminance.len() as f64;
    (variance, inked)
}

#[test]
fn pngs_decode_at_1600x900_and_are_not_blank() -> TestResult {
    let charts = default_reports().join("charts");
    for (name, _) in CHARTS {
        let Decoded {
            width,
            height,
            pixels,
            channels,
        } = decode_png(&charts.join(format!("{name}.png")))?;
        assert_eq!((width, height), (1600, 900), "{name}.png size");
        let (variance, inked) = pixel_stats(&pixels, channels);
        // a white image with only a title has variance < 50 and < 1% ink
        assert!(
            variance > 150.0,
            "{name}.png looks blank: luminance variance {variance:.1}"
        );
        assert!(
            inked > 0.02,
            "{name}.png looks blank: {:.2}% of pixels drawn",
            inked * 100.0
        );
    }
    Ok(())
}

#[test]
fn charts_command_reports_a_missing_warehouse() {
    let dir = temp_dir();
    let output = run_in(
        dir.path(),
        &["charts", "--warehouse", "nowhere.duckdb", "--out", "out"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("nowhere.duckdb"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("out/dashboard.html").exists());
}

/// A small warehouse whose segment and lever names are hostile, charted into `<dir>/out`.
fn hostile_reports() -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir();
    let output = run_in(
        dir.path(),
        &[
            "--quiet",
            "run",
            "--users",
            "1500",
            "--warehouse",
            "w.duckdb",
        ],
    );
    assert_success(&output, "northstar run");
    {
        let conn = duckdb::Connection::open(dir.path().join("w.duckdb"))
            .expect("warehouse opens for writing");
        for (table, column, rows) in [
            (
                "analytics.funnel_by_dimension",
                "dimension_value",
                "dimension = 'segment'",
            ),
            ("analytics.feature_adoption", "segment", "true"),
        ] {
            let changed = conn
                .execute(
                    &format!(
                        "update {table} set {column} = ? where {rows} and {column} = \
                         (select min({column}) from {table} where {rows} and {column} <> 'all')"
                    ),
                    [HOSTILE],
                )
                .expect("hostile update");
            assert!(changed > 0, "no row of {table} updated");
        }
        let changed = conn
            .execute(
                "update analytics.growth_levers set lever_name = ? where lever_rank = 1",
                [HOSTILE],
            )
            .expect("hostile lever");
        assert_eq!(changed, 1);
    }
    let output = northstar()
        .args(["charts", "--warehouse", "w.duckdb", "--out", "out"])
        .current_dir(dir.path())
        .output()
        .expect("northstar runs");
    assert_success(&output, "northstar charts");
    let out = dir.path().join("out");
    (dir, out)
}

#[test]
fn hostile_names_are_escaped_in_every_page() -> TestResult {
    let (_dir, out) = hostile_reports();
    let escaped = "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e";
    let mut pages = vec![out.join("dashboard.html")];
    pages.extend(
        ["funnel_by_segment", "feature_adoption", "growth_levers"]
            .iter()
            .map(|name| out.join("charts").join(format!("{name}.html"))),
    );
    for page in pages {
        let html = std::fs::read_to_string(&page)?;
        assert!(
            !html.contains("<script>alert"),
            "{} has the raw hostile value",
            page.display()
        );
        assert!(
            !html.contains("<img src=x"),
            "{} has the raw hostile value",
            page.display()
        );
        assert!(
            html.contains(escaped),
            "{} lacks the escaped value",
            page.display()
        );
        let script_tags = html.matches("<script").count();
        assert_eq!(
            script_tags,
            3,
            "{}: only the data, library and render scripts",
            page.display()
        );
    }
    if let Some(browser) = browser::launch_or_skip("hostile_names_are_escaped_in_every_page")? {
        let mut browser = browser;
        let page = browser.open(&out.join("dashboard.html"))?;
        assert_eq!(page.rendered, CHARTS.len() as i64);
        // show the tooltip of the hostile segment: its name must be text, not markup
        let tooltip = browser.evaluate(
            "(async () => { const chart = echarts.getInstanceByDom(document.getElementById('chart-funnel_by_segment'));\n\
               document.getElementById('chart-funnel_by_segment').scrollIntoView();\n\
               chart.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 1 });\n\
               await new Promise(resolve => setTimeout(resolve, 300));\n\
               const tips = [...document.querySelectorAll('#chart-funnel_by_segment div')].filter(d => d.textContent.includes('alert(1)'));\n\
               return JSON.stringify({ text: tips.map(d => d.textContent).join(' '), injected: document.querySelectorAll('img[src=x], #chart-funnel_by_segment script').length, pwned: window.__pwned === 1, scripts: document.scripts.length }); })()",
        )?;
        let tooltip: serde_json::Value = serde_json::from_str(tooltip.as_str().unwrap_or("{}"))?;
        assert!(
            tooltip["text"]
                .as_str()
                .unwrap_or("")
                .contains("<script>alert(1)</script>"),
            "the hostile name should show as text in the tooltip: {tooltip}"
        );
        assert_eq!(tooltip["injected"], 0, "{tooltip}");
        assert_eq!(tooltip["pwned"], false, "{tooltip}");
        assert_eq!(tooltip["scripts"], 3, "{tooltip}");
        browser.assert_clean(&page)?;
    }
    Ok(())
}

#[test]
fn dashboard_renders_offline_in_chromium() -> TestResult {
    let Some(mut browser) = browser::launch_or_skip("dashboard_renders_offline_in_chromium")?
    else {
        return Ok(());
    };
    let reports = default_reports();
    let page = browser.open(&reports.join("dashboard.html"))?;
    assert_eq!(page.rendered, CHARTS.len() as i64, "charts rendered");
    // every container holds a drawn canvas (not just an empty element)
    let drawn = browser.evaluate(
        "JSON.stringify([...document.querySelectorAll('.chart')].map(el => {\n\
           const canvas = el.querySelector('canvas');\n\
           if (!canvas || canvas.width < 100 || canvas.height < 100) return [el.id, 0];\n\
           const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;\n\
           let inked = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;\n\
           return [el.id, inked]; }))",
    )?;
    let drawn: Vec<(String, i64)> = serde_json::from_str(drawn.as_str().unwrap_or("[]"))?;
    assert_eq!(drawn.len(), CHARTS.len(), "{drawn:?}");
    for (id, inked) in &drawn {
        assert!(*inked > 2000, "{id} is empty ({inked} pixels drawn)");
    }
    let dir = temp_dir();
    let screenshot = dir.path().join("dashboard.png");
    browser.screenshot(&screenshot)?;
    let Decoded { width, height, .. } = decode_png(&screenshot)?;
    assert!(width >= 1000 && height > 900, "screenshot {width}x{height}");
    println!("screenshot: {} ({width}x{height})", screenshot.display());
    if let Some(keep) = std::env::var_os("NORTHSTAR_KEEP_SCREENSHOTS") {
        std::fs::create_dir_all(&keep)?;
        std::fs::copy(&screenshot, Path::new(&keep).join("dashboard.png"))?;
    }
    browser.assert_clean(&page)?;

    // the grid is responsive: no horizontal scrolling on a phone-sized viewport
    // (the charts resize on the window's resize event, asynchronously: under
    // load the first layout after the viewport change can still hold the
    // wide canvases, so the width is read until it settles, for up to 5 s)
    browser.set_viewport(420, 900)?;
    let mut scroll_width = browser.evaluate("document.documentElement.scrollWidth")?;
    for _ in 0..50 {
        if scroll_width.as_i64().unwrap_or(i64::MAX) <= 420 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        scroll_width = browser.evaluate("document.documentElement.scrollWidth")?;
    }
    assert!(
        scroll_width.as_i64().unwrap_or(i64::MAX) <= 420,
        "scrollWidth {scroll_width} at 420 px"
    );

    // a standalone chart page loads only its sibling bundle
    browser.set_viewport(1400, 900)?;
    let chart = browser.open(&reports.join("charts/north_star.html"))?;
    assert_eq!(chart.rendered, 1);
    browser.assert_clean(&chart)?;
    Ok(())
}

/// A minimal DevTools-protocol client for Debian's headless Chromium.
mod browser {
    use std::io::ErrorKind;
    use std::net::TcpStream;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use serde_json::{json, Value};
    use tungstenite::stream::MaybeTlsStream;
    use tungstenite::{Message, WebSocket};

    type Error = Box<dyn std::error::Error>;

    /// The Chromium binary: `$NORTHSTAR_CHROMIUM`, or `chromium` /
    /// `chromium-browser` / `google-chrome` on PATH.
    fn find_chromium() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("NORTHSTAR_CHROMIUM") {
            return Some(PathBuf::from(path));
        }
        let paths = std::env::var_os("PATH")?;
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|candidate| candidate.is_file())
            })
    }

    /// Launches Chromium, or returns None (with a printed reason) when it is
    /// not installed outside CI. In CI (`CI=true`) a missing browser fails.
    pub fn launch_or_skip(test: &str) -> Result<Option<Browser>, Error> {
        match find_chromium() {
            Some(path) => Ok(Some(Browser::launch(&path)?)),
            None if std::env::var("CI").is_ok_and(|value| value == "true") => {
                Err("chromium is not installed but CI=true: `apt-get install -y chromium` (see .ci/run)".into())
            }
            None => {
                println!("SKIPPED {test}: chromium is not installed (apt-get install -y chromium)");
                Ok(None)
            }
        }
    }

    pub struct Browser {
        child: Child,
        socket: WebSocket<MaybeTlsStream<TcpStream>>,
        session: String,
        next_id: u64,
        events: Vec<Value>,
        _profile: tempfile::TempDir,
    }

    /// A loaded page: its URL and how many charts its script rendered.
    pub struct Page {
        pub url: String,
        pub rendered: i64,
        /// Index into the event log where this page's load began.
        first_event: usize,
    }

    impl Drop for Browser {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Browser {
        fn launch(binary: &Path) -> Result<Browser, Error> {
            let profile = tempfile::Builder::new()
                .prefix("northstar-chromium-")
                .tempdir()?;
            let mut child = Command::new(binary)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-extensions",
                    "--remote-debugging-port=0",
                    "--window-size=1400,900",
                ])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .arg("about:blank")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            // Chromium writes the port and path of its endpoint to DevToolsActivePort.
            let active_port = profile.path().join("DevToolsActivePort");
            let started = Instant::now();
            let endpoint = loop {
                if let Ok(text) = std::fs::read_to_string(&active_port) {
                    let mut lines = text.lines();
                    if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                        break format!("ws://127.0.0.1:{port}{path}");
                    }
                }
                if let Some(status) = child.try_wait()? {
                    return Err(format!("chromium exited early ({status})").into());
                }
                if started.elapsed() > Duration::from_secs(60) {
                    let _ = child.kill();
                    return Err("chromium did not open its DevTools endpoint within 60 s".into());
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            let (socket, _) = tungstenite::connect(endpoint.as_str())?;
            if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
                stream.set_read_timeout(Some(Duration::from_millis(200)))?;
            }
            let mut browser = Browser {
                child,
                socket,
                session: String::new(),
                next_id: 0,
                events: Vec::new(),
                _profile: profile,
            };
            let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }))?;
            let target_id = target["targetId"]
                .as_str()
                .ok_or("no targetId")?
                .to_string();
            let attached = browser.call(
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )?;
            browser.session = attached["sessionId"]
                .as_str()
                .ok_or("no sessionId")?
                .to_string();
            for domain in ["Page", "Runtime", "Log", "Network"] {
                browser.call(&format!("{domain}.enable"), json!({}))?;
            }
            browser.set_viewport(1400, 900)?;
            Ok(browser)
        }

        /// Reads one message; None on a read timeout.
        fn read(&mut self) -> Result<Option<Value>, Error> {
            match self.socket.read() {
                Ok(Message::Text(text)) => Ok(Some(serde_json::from_str(text.as_str())?)),
                Ok(_) => Ok(None),
                Err(tungstenite::Error::Io(err))
                    if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    Ok(None)
                }
                Err(err) => Err(err.into()),
            }
        }

        /// Sends a command (on the page session once attached) and waits for its result.
        pub fn call(&mut self, method: &str, params: Value) -> Result<Value, Error> {
            self.next_id += 1;
            let id = self.next_id;
            let mut message = json!({ "id": id, "method": method, "params": params });
            if !self.session.is_empty() {
                message["sessionId"] = json!(self.session);
            }
            self.socket
                .send(Message::Text(message.to_string().into()))?;
            let started = Instant::now();
            loop {
                if started.elapsed() > Duration::from_secs(60) {
                    return Err(format!("no answer to {method} within 60 s").into());
                }
                let Some(message) = self.read()? else {
                    continue;
                };
                if message["id"].as_u64() == Some(id) {
                    if let Some(error) = message.get("error") {
                        return Err(format!("{method}: {error}").into());
                    }
                    return Ok(message["result"].clone());
                }
                if message.get("method").is_some() {
                    self.events.push(message);
                }
            }
        }

        /// Evaluates a JS expression in the page; returns its value.
        pub fn evaluate(&mut self, expression: &str) -> Result<Value, Error> {
            let result = self.call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )?;
            if let Some(exception) = result.get("exceptionDetails") {
                return Err(format!("evaluation failed: {exception}").into());
            }
            Ok(result["result"]["value"].clone())
        }

        pub fn set_viewport(&mut self, width: u32, height: u32) -> Result<(), Error> {
            self.call(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
            )?;
            Ok(())
        }

        /// Navigates to a local file and waits until its charts are rendered
        /// (`data-charts-rendered` on <html>) or 60 s pass.
        pub fn open(&mut self, file: &Path) -> Result<Page, Error> {
            let absolute = std::fs::canonicalize(file)?;
            let url = format!("file://{}", absolute.display());
            let first_event = self.events.len();
            self.call("Page.navigate", json!({ "url": url }))?;
            let started = Instant::now();
            loop {
                let state = self.evaluate(
                    "document.readyState === 'complete' ? (document.documentElement.getAttribute('data-charts-rendered') || '') : ''",
                )?;
                if let Some(count) = state.as_str().and_then(|text| text.parse::<i64>().ok()) {
                    if document_is(&self.evaluate("location.href")?, &url) {
                        // let the first frame paint
                        self.evaluate("new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 300)))")?;
                        return Ok(Page {
                            url,
                            rendered: count,
                            first_event,
                        });
                    }
                }
                if started.elapsed() > Duration::from_secs(60) {
                    let problems = self.problems(first_event);
                    return Err(format!(
                        "{url} did not render its charts within 60 s; {problems:?}"
                    )
                    .into());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }

        /// Console errors, exceptions, dialogs and non-file requests since `first_event`.
        fn problems(&self, first_event: usize) -> Vec<String> {
            let mut problems = Vec::new();
            for event in &self.events[first_event.min(self.events.len())..] {
                let params = &event["params"];
                match event["method"].as_str().unwrap_or("") {
                    "Runtime.exceptionThrown" => {
                        problems.push(format!("exception: {}", params["exceptionDetails"]))
                    }
                    "Runtime.consoleAPICalled"
                        if matches!(
                            params["type"].as_str(),
                            Some("error" | "assert" | "warning")
                        ) =>
                    {
                        problems.push(format!("console.{}: {}", params["type"], params["args"]))
                    }
                    "Log.entryAdded"
                        if matches!(
                            params["entry"]["level"].as_str(),
                            Some("error" | "warning")
                        ) =>
                    {
                        problems.push(format!("log: {}", params["entry"]))
                    }
                    "Page.javascriptDialogOpening" => {
                        problems.push(format!("dialog: {}", params["message"]))
                    }
                    _ => {}
                }
            }
            problems
        }

        /// Asserts: no console error or warning, no exception, no dialog, and
        /// every request of the page was a local file (the page itself or a
        /// sibling) or inline data.
        pub fn assert_clean(&mut self, page: &Page) -> Result<(), Error> {
            // drain pending events
            self.evaluate("1")?;
            let problems = self.problems(page.first_event);
            assert!(problems.is_empty(), "{}: {problems:#?}", page.url);
            let directory = page
                .url
                .rsplit_once('/')
                .map_or("", |(dir, _)| dir)
                .to_string();
            let requests: Vec<String> = self.events[page.first_event..]
                .iter()
                .filter(|event| event["method"] == "Network.requestWillBeSent")
                .filter_map(|event| {
                    event["params"]["request"]["url"]
                        .as_str()
                        .map(str::to_string)
                })
                .collect();
            assert!(
                !requests.is_empty(),
                "no request recorded for {}: is Network enabled?",
                page.url
            );
            for url in &requests {
                let local = url == &page.url
                    || (url.starts_with(&format!("{directory}/"))
                        && url.ends_with("/echarts.min.js"))
                    || url.starts_with("data:")
                    || url.starts_with("blob:");
                assert!(local, "{} made a network request: {url}", page.url);
            }
            println!("{}: requests {requests:?}", page.url);
            Ok(())
        }

        /// Saves a full-page PNG screenshot.
        pub fn screenshot(&mut self, path: &Path) -> Result<(), Error> {
            use base64::Engine as _;
            let metrics = self.call("Page.getLayoutMetrics", json!({}))?;
            let width = metrics["cssContentSize"]["width"]
                .as_f64()
                .unwrap_or(1400.0);
            let height = metrics["cssContentSize"]["height"]
                .as_f64()
                .unwrap_or(900.0);
            let shot = self.call(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            )?;
            let data = shot["data"].as_str().ok_or("no screenshot data")?;
            std::fs::write(
                path,
                base64::engine::general_purpose::STANDARD.decode(data)?,
            )?;
            Ok(())
        }
    }

    fn document_is(href: &Value, url: &str) -> bool {
        href.as_str()
            .is_some_and(|href| href == url || href.replace("%20", " ") == url)
    }
}
