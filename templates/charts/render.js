// Renders every chart spec of #northstar-charts with ECharts. Specs are data
// only; units become formatters here. Text from data reaches the page only as
// canvas text or through escapeHtml / ECharts' own tooltip encoding.
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('northstar-charts').textContent);
  var entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return entities[c]; });
  }
  function exact(unit, value) {
    if (value === null || value === undefined || value === '-' || isNaN(value)) { return 'n/a'; }
    value = Number(value);
    if (unit === 'percent') { return (value * 100).toFixed(1) + '%'; }
    if (unit === 'usd') {
      return (value < 0 ? '-$' : '$') + Math.abs(value).toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) < 1000 ? 2 : 0 });
    }
    return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  // Same units as the PNG axes and the report (src/charts/figure.rs compact):
  // K, M, B, T with up to two decimals, then full digits.
  function compact(unit, value) {
    var abs = Math.abs(value), text = null, units = [[1e3, 'K'], [1e6, 'M'], [1e9, 'B'], [1e12, 'T']];
    if (unit === 'percent') { return (value * 100).toFixed(abs < 0.1 && value !== 0 ? 1 : 0) + '%'; }
    if (abs < 1e4) {
      text = abs.toLocaleString('en-US', { maximumFractionDigits: 2 });
    } else {
      for (var i = 0; i < units.length && text === null; i++) {
        var scaled = Number((abs / units[i][0]).toFixed(2));
        if (scaled < 1000) { text = String(scaled) + units[i][1]; }
      }
      if (text === null) { text = abs.toLocaleString('en-US', { maximumFractionDigits: 0, useGrouping: true }); }
    }
    return (value < 0 && /[1-9]/.test(text) ? '-' : '') + (unit === 'usd' ? '$' : '') + text;
  }
  function prepare(spec) {
    var option = spec.option, format = spec.format, unit = format.value;
    if (format.kind === 'heatmap') {
      option.tooltip.formatter = function (item) {
        var x = option.xAxis.data[item.value[0]], y = option.yAxis.data[item.value[1]];
        return escapeHtml(format.yLabel) + ': <b>' + escapeHtml(y) + '</b><br>' +
          escapeHtml(format.xLabel) + ': ' + escapeHtml(x) + '<br>' + escapeHtml(exact(unit, item.value[2]));
      };
      option.visualMap.formatter = function (value) { return compact(unit, value); };
      return option;
    }
    option.tooltip.valueFormatter = function (value) { return exact(unit, value); };
    var valueAxis = format.horizontal ? option.xAxis : option.yAxis;
    valueAxis.axisLabel = Object.assign(valueAxis.axisLabel || {}, { formatter: function (value) { return compact(unit, value); } });
    if (format.xIsNumber) {
      option.xAxis.axisLabel = Object.assign(option.xAxis.axisLabel || {}, { formatter: function (value) { return compact(format.x, value); } });
    }
    return option;
  }
  var rendered = 0;
  specs.forEach(function (spec) {
    var element = document.getElementById('chart-' + spec.name);
    if (!element) { console.error('northstar: no container for chart ' + spec.name); return; }
    var chart = echarts.init(element, null, { renderer: 'canvas' });
    chart.setOption(prepare(spec));
    window.addEventListener('resize', function () { chart.resize(); });
    rendered += 1;
  });
  document.documentElement.setAttribute('data-charts-rendered', String(rendered));
})();
