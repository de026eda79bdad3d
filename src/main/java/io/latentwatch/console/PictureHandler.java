package io.latentwatch.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.function.Function;

/**
 * {@code PREFIX/FRAME_ID}: a picture by frame id (the id percent-encoded, as the page's encodeURIComponent writes it),
 * 404 while there is none. The type follows the bytes: frames may be PNG, JPEG or BMP, anomaly maps are PNG.
 */
final class PictureHandler implements HttpHandler {

    private final String prefix;
    private final Function<String, byte[]> pictures;

    /** @param prefix the context path with its trailing slash, e.g. {@code /frames/} */
    PictureHandler(String prefix, Function<String, byte[]> pictures) {
        this.prefix = prefix;
        this.pictures = pictures;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!Responses.readOnly(exchange)) {
            return;
        }
        String path = exchange.getRequestURI().getPath(); // percent-decoded
        byte[] picture = path.length() > prefix.length() ? pictures.apply(path.substring(prefix.length())) : null;
        if (picture == null) {
            Responses.text(exchange, 404, "no picture of that frame (yet)");
            return;
        }
        // a frame id names one frame for good: its picture never changes
        Responses.send(exchange, 200, contentType(picture), "private, max-age=3600, immutable", picture);
    }

    /** The image type of the bytes' signature; frames are what ImageIO reads (PNG, JPEG, BMP). */
    static String contentType(byte[] b) {
        if (b.length >= 4 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "image/png";
        }
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return "image/jpeg";
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "image/bmp";
        }
        return "application/octet-stream";
    }
}
