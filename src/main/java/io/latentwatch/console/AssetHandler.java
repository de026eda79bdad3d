package io.latentwatch.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The page itself, from this jar's class path ({@code io/latentwatch/console/}): index.html at {@code /}, its script and
 * style sheet; nothing else is served from there, and nothing comes from elsewhere (the page loads no CDN).
 */
final class AssetHandler implements HttpHandler {

    /** A resource beside this class and the type it is served as. */
    private record Asset(String resource, String contentType) {}

    private static final Asset PAGE = new Asset("index.html", "text/html; charset=utf-8");

    /** URL path → asset. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "/", PAGE,
            "/index.html", PAGE,
            "/console.js", new Asset("console.js", "text/javascript; charset=utf-8"),
            "/console.css", new Asset("console.css", "text/css; charset=utf-8"));

    /** Scripts and styles of this origin only; pictures of this origin only. */
    private static final String POLICY = "default-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'";

    private final Map<String, byte[]> bodies;

    /** Reads every asset now, so that a jar without one fails at start, not on the first page load. */
    AssetHandler() {
        this.bodies = new HashMap<>();
        for (Asset asset : ASSETS.values()) {
            bodies.computeIfAbsent(asset.resource(), AssetHandler::read);
        }
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!Responses.readOnly(exchange)) {
            return;
        }
        Asset asset = ASSETS.get(exchange.getRequestURI().getPath());
        if (asset == null) {
            Responses.text(exchange, 404, "not found");
            return;
        }
        exchange.getResponseHeaders().set("Content-Security-Policy", POLICY);
        Responses.send(exchange, 200, asset.contentType(), "no-cache", bodies.get(asset.resource()));
    }

    private static byte[] read(String name) {
        try (InputStream in = AssetHandler.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the console's " + name + " is missing from the class path (io/latentwatch/console/)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
