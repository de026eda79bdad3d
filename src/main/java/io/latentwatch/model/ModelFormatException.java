package io.latentwatch.model;

import java.io.IOException;

/** A model directory or weights file that cannot be served; the message names the problem. */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
