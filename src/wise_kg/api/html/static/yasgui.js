// YASGUI at /sparql, configured from the page's JSON block #yasgui-config (the endpoint and
// one tab per saved query). Nothing is asked of other hosts; see wise_kg/api/yasgui.py.
(function () {
  "use strict";
  var conf = JSON.parse(document.getElementById("yasgui-config").textContent);
  localLinks(conf.base);
  var requestConfig = {endpoint: conf.endpoint, method: "POST"};
  // Config arrays are merged into the defaults index by index, so shorten the defaults:
  // "class" and "property" would ask Linked Open Vocabularies, on another host.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: requestConfig,
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autoAddOnInit: conf.tabs.length === 0,
    corsProxy: undefined,
    endpointCatalogueOptions: {
      getData: function () { return [{endpoint: conf.endpoint}]; }
    },
    yasqe: {prefixCcApi: null},
    yasr: {persistenceId: null}
  });
  var ids = conf.tabs.map(function (ex, i) {
    return yasgui.addTab(i === 0, {
      name: ex.name,
      yasqe: {value: ex.query},
      requestConfig: requestConfig
    }).getId();
  });
  document.querySelectorAll("#examples button.example").forEach(function (button) {
    button.addEventListener("click", function () {
      yasgui.selectTabId(ids[Number(button.dataset.tab)]);
      document.getElementById("yasgui").scrollIntoView();
    });
  });
  window.yasgui = yasgui;

  // Result IRIs under the published base (https://w3id.org/wise-kg/id/…) open this
  // server's pages (/id/…), not the published address. YASR's table plugin has no
  // option for it: its link writer is wrapped, so every page of the table (drawn as
  // the reader pages through it) gets local links; the IRI stays the link's text.
  function localLinks(base) {
    var Table = window.Yasr && Yasr.plugins && Yasr.plugins.table;
    if (!base || !Table || !Table.prototype.getUriLinkFromBinding) return;
    var write = Table.prototype.getUriLinkFromBinding;
    // The link is written by DOMPurify, which may quote the attribute either way.
    var published = new RegExp("href=([\"'])" + escapeRegExp(base + "id/"));
    Table.prototype.getUriLinkFromBinding = function (binding, prefixes) {
      return write.call(this, binding, prefixes).replace(published, "href=$1/id/");
    };
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
})();
