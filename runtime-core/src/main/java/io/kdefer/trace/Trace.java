/*
 * Copyright 2026 the kdefer authors. Licensed under the Apache License, Version 2.0.
 */
package io.kdefer.trace;

import io.kdefer.internal.Tracepoints;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

import java.util.List;

/**
 * kdefer's JFR events: their classes, and how they come to be recorded. The runtime's hook points call the
 * tracepoints of {@code io.kdefer.internal.Tracepoints} (the seam every layer may use); this class plugs the events
 * of this package into it ({@link JfrSink}) and keeps the tracepoints' gates in step with JFR.
 *
 * <h2>Cost</h2>
 * <ul>
 *   <li>Event off (no recording, or a recording that does not enable it): a tracepoint is one check of the event
 *       type's enabled flag; no event object, no boxing, no string. Before the JVM's Flight Recorder is initialized
 *       (the first recording of this JVM) the check is one array load: the event types are not even resolved, since
 *       resolving them registers the classes with JFR, which initializes it (about 200 ms on the development
 *       machine). A {@link FlightRecorderListener} resolves them when the recorder comes up, before the recording's
 *       settings are applied.</li>
 *   <li>Per-item events (IrqHandler, IrqThread, Softirq, SoftirqRaise, IrqWork, Ipi, Tasklet, TimerExpire,
 *       WorkQueue, WorkActivate, WorkExecute) are {@code @Enabled(false)} by default. JFR gives every event a
 *       recording does not name its annotation defaults, so a recording with only the JDK's settings (say, a
 *       production {@code -XX:StartFlightRecording}) would otherwise switch them all on (TraceBench measured a
 *       tasklet tracepoint at ~285 ns and 56 B per call that way). The rare events (watchdogs, failures, the
 *       spurious detector, hotplug, lifecycle) are on by default. {@code kdefer.jfc} and {@code kdefer-profile.jfc}
 *       switch the per-item events on explicitly ({@link Jfc}).</li>
 *   <li>Event on: begin allocates the event and reads JFR's clock; end fills the fields and commits only if the
 *       event passes its threshold and settings ({@link Event#shouldCommit()}).</li>
 * </ul>
 */
public final class Trace {
    /** Every kdefer event class, indexed by the tracepoint ids of {@code io.kdefer.internal.Tracepoints}. */
    private static final List<Class<? extends Event>> EVENT_CLASSES = List.of(
            IrqHandlerEvent.class, IrqSpuriousEvent.class, IrqReplayEvent.class, IrqThreadEvent.class,
            IrqNobodyCaredEvent.class, SoftirqEvent.class, SoftirqRaiseEvent.class, KsoftirqdEvent.class,
            IrqWorkEvent.class, IpiEvent.class, TaskletEvent.class, TimerExpireEvent.class, WorkQueueEvent.class,
            WorkActivateEvent.class, WorkExecuteEvent.class, WorkqueueStallEvent.class, WorkqueueMaydayEvent.class,
            WorkqueueRescuerEvent.class, SoftLockupEvent.class, CpuHotplugEvent.class, MachineStateEvent.class,
            CallbackFailedEvent.class);

    static {
        if (EVENT_CLASSES.size() != Tracepoints.COUNT) {
            throw new ExceptionInInitializerError("kdefer: " + EVENT_CLASSES.size() + " event classes for "
                    + Tracepoints.COUNT + " tracepoints");
        }
        Tracepoints.install(JfrSink.INSTANCE);
        // Called at once if the recorder is already initialized (a -XX:StartFlightRecording JVM).
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recorderInitialized(FlightRecorder recorder) {
                resolve();
            }
        });
    }

    private Trace() {
    }

    /**
     * Makes sure the events are plugged into the tracepoints (the JFR listener registered, about 20 ms the first time
     * in a JVM): a machine's boot calls it, so that cost never falls on the first hardirq that reaches a hook.
     */
    public static void init() {
        // the static initializer did the work
    }

    /** Every kdefer JFR event class (for settings files, tests and tools). */
    public static List<Class<? extends Event>> eventClasses() {
        return EVENT_CLASSES;
    }

    /**
     * Registers every kdefer event class with JFR now (initializing JFR if it is not yet), so tools that list the
     * registered event types (JMC, {@code jfr metadata}, {@code jcmd JFR.check}) show them before the first one is
     * emitted.
     */
    public static void register() {
        for (Class<? extends Event> c : EVENT_CLASSES) {
            FlightRecorder.register(c);
        }
        resolve();
    }

    private static synchronized void resolve() {
        for (int i = 0; i < EVENT_CLASSES.size(); i++) {
            Tracepoints.enable(i, EventType.getEventType(EVENT_CLASSES.get(i)));
        }
    }
}
