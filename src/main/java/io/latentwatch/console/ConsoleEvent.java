package io.latentwatch.console;

import java.nio.charset.StandardCharsets;

/**
 * One Server-Sent Event for the page: {@code snapshot} (the whole state, on connect), {@code alert}, {@code frame}
 * (an alert's frame picture arrived after it), {@code score} (a score trace's point) or {@code model-update}.
 *
 * @param data one line of JSON (gson writes newlines in strings as escapes)
 */
record ConsoleEvent(String name, String data) {

    static final String SNAPSHOT = "snapshot";
    static final String ALERT = "alert";
    static final String FRAME = "frame";
    static final String SCORE = "score";
    static final String MODEL_UPDATE = "model-update";

    /** The event in text/event-stream framing. */
    byte[] toWire() {
        return ("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
