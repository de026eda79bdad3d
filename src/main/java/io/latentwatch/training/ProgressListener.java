package io.latentwatch.training;

/**
 * Receives a training run's progress ({@link ModelTrainer}). Called on the training thread; keep it cheap. Every
 * method has an empty default, so a listener implements only what it shows.
 */
public interface ProgressListener {

    /** A listener that ignores everything. */
    ProgressListener NONE = new ProgressListener() {};

    /** A phase starts or ends ("loading 6000 frames", "calibrating"): one line of text. */
    default void message(String line) {}

    /** After each optimiser step, with the epoch's running means. */
    default void step(TrainingProgress progress) {}

    /** After each epoch, with the epoch's means and the validation mse. */
    default void epoch(TrainingProgress progress) {}
}
