/* commands.h: one function per cnn command, each given its own argv. */
#ifndef CNN_CLI_COMMANDS_H
#define CNN_CLI_COMMANDS_H

#include "common.h"

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_export(int argc, char **argv);

#endif
