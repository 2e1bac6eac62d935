// The API docs page (/api/v1/docs): Swagger UI from static/vendor/swagger-ui, no CDN.
// Requests made from the page carry the session's CSRF token, as the htmx pages do.
(function () {
  const body = document.body.dataset;
  SwaggerUIBundle({
    url: body.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    requestInterceptor: (req) => {
      if (body.csrfToken) req.headers["X-CSRFToken"] = body.csrfToken;
      return req;
    },
  });
})();
