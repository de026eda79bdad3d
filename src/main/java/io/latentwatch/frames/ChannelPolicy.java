package io.latentwatch.frames;

/** How a frame's colour channels are matched to the model's. */
public enum ChannelPolicy {
    /** Gray and colour images are both accepted: luma of colour for a gray model, gray repeated for RGB. */
    CONVERT,
    /** An image must have exactly the model's number of colour channels; others go to the dead-letter topic. */
    EXACT
}
