// Swagger UI at /docs on this server's OpenAPI description (the data-openapi attribute of
// #swagger-ui). validatorUrl is off: Swagger UI would otherwise send the description's URL
// to validator.swagger.io for its badge.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
})();
